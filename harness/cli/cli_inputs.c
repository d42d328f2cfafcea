/* cli_inputs.c: the inputs under files and directories, as tests. */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_inputs.h"
#include "prog/codec.h"
#include "prog/prog.h"
#include "util/diag.h"
#include "util/fileio.h"
#include "util/xalloc.h"

#define INPUT_MAX (1u << 20)

static struct hcf_test *add_test(struct hcf_cli_inputs *in, const struct hcf_abi *abi,
				 const char *path, const char *group)
{
	if (in->n == in->cap) {
		in->cap = in->cap ? in->cap * 2 : 64;
		in->tests = hcf_xreallocarray(in->tests, in->cap, sizeof(*in->tests));
	}
	struct hcf_test *t = &in->tests[in->n];
	memset(t, 0, sizeof(*t));
	size_t l = strlen(path);
	/* the id keeps the end of long paths: that is where they differ */
	snprintf(t->id, sizeof(t->id), "%s", l >= sizeof(t->id) ? path + l - sizeof(t->id) + 1 : path);
	snprintf(t->group, sizeof(t->group), "%s", group);
	hcf_prog_init(&t->prog, abi);
	return t;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

/* One file: a program in the text format, or a fuzzer input. */
static void add_file(struct hcf_cli_inputs *in, const struct hcf_abi *abi, const char *p,
		     const char *group, const char *cmd)
{
	if (ends_with(p, ".hcf")) {
		struct hcf_test *t = add_test(in, abi, p, group);
		struct hcf_diags d;
		hcf_diags_init(&d);
		if (hcf_prog_parse_file(&t->prog, abi, p, &d) != 0) {
			hcf_diags_print(&d, stderr);
			hcf_prog_free(&t->prog);
			in->malformed++;
		} else {
			snprintf(t->desc, sizeof(t->desc), "program, %zu calls", t->prog.ncalls);
			in->n++;
		}
		return;
	}
	size_t len = 0;
	char *data = hcf_read_file(p, INPUT_MAX, &len);
	if (!data) {
		fprintf(stderr, "hcfuzz %s: %s: unreadable or larger than %u bytes\n", cmd, p,
			INPUT_MAX);
		in->malformed++;
		return;
	}
	struct hcf_test *t = add_test(in, abi, p, group);
	hcf_prog_decode(&t->prog, abi, (const uint8_t *)data, len);
	snprintf(t->desc, sizeof(t->desc), "fuzzer input, %zu bytes, %zu calls", len,
		 t->prog.ncalls);
	in->n++;
	free(data);
}

static void collect(struct hcf_cli_inputs *in, const struct hcf_abi *abi, const char *dir,
		    const char *group, int depth, const char *cmd)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort); /* sorted: the same order every run */
	if (n < 0) {
		fprintf(stderr, "hcfuzz %s: %s: cannot read the directory\n", cmd, dir);
		in->malformed++;
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *p = hcf_xasprintf("%s/%s", dir, name);
		struct stat st;
		if (name[0] == '.' || stat(p, &st) != 0 || ends_with(name, ".md")) {
			/* hidden files, READMEs: not inputs */
		} else if (S_ISDIR(st.st_mode) && depth < 8) {
			collect(in, abi, p, name, depth + 1, cmd);
		} else if (S_ISREG(st.st_mode)) {
			add_file(in, abi, p, group, cmd);
		}
		free(p);
		free(ents[i]);
	}
	free(ents);
}

void hcf_cli_inputs_add(struct hcf_cli_inputs *in, const struct hcf_abi *abi, const char *path,
			const char *cmd)
{
	struct stat st;
	size_t len, start = hcf_path_base(path, &len);
	char *base = hcf_xstrndup(path + start, len);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		collect(in, abi, path, base[0] ? base : path, 0, cmd);
	} else if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		add_file(in, abi, path, "programs", cmd);
	} else {
		fprintf(stderr, "hcfuzz %s: %s: no such file or directory\n", cmd, path);
		in->malformed++;
	}
	free(base);
}
