/*
 * spec_load.c: the entry points that pick a spec's dialect, load files and
 * directories, and guarantee that a spec with any error never half-loads.
 *
 * The native language ("hcfuzz_spec: 1") is read by spec_values.c and
 * spec_ops.c. The walk is table-driven: every mapping is matched against a
 * key table (hcf_spec_map_keys), every enumeration (transports, error
 * conventions, exceptions, RFLAGS bits) is a table. Errors are reported at
 * the offending node and the walk goes on where it can, so one run shows
 * most problems of a file; the ABI is freed at the end if any was found.
 * docs/spec-format.md describes the language for users; keep the two in step.
 */
#include "spec/spec_native.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spec/spec_parse.h"
#include "spec/transport.h"
#include "util/fileio.h"
#include "util/hash.h"
#include "util/x86.h"
#include "util/xalloc.h"

/* ---- entry points ------------------------------------------------------ */

static struct hcf_abi *new_abi(void)
{
	struct hcf_abi *abi = hcf_xcalloc(1, sizeof(*abi));
	abi->nr_reg = HCF_RAX;
	abi->nr_width = 64;
	abi->subop_reg = HCF_REG_NONE;
	abi->ret_reg = HCF_REG_NONE;
	abi->err = HCF_ERR_NONE;
	return abi;
}

static int finish(struct hcf_spec_ctx *c, struct hcf_abi *abi, struct hcf_abi **out)
{
	if (c->nerr) {
		hcf_spec_free(abi);
		return -1;
	}
	*out = abi;
	return 0;
}

/* Which dialect a parsed file is written in. */
enum file_kind { FILE_NATIVE, FILE_FASTABI, FILE_UNKNOWN };

static enum file_kind classify(const struct hcf_ynode *root)
{
	if (root->kind != HCF_Y_MAP)
		return FILE_UNKNOWN;
	if (hcf_y_get(root, "hcfuzz_spec"))
		return FILE_NATIVE;
	if (hcf_y_get(root, "hypercall_index"))
		return FILE_FASTABI;
	return FILE_UNKNOWN;
}

static void not_a_spec(struct hcf_spec_ctx *c, const struct hcf_ynode *root)
{
	if (root->kind != HCF_Y_MAP)
		hcf_spec_err(c, root, "%s: not a spec: the top level must be a mapping, not %s",
			     c->file, hcf_y_kind_name(root));
	else
		hcf_spec_err(c, root, "%s: not a spec: expected a top-level 'hcfuzz_spec' key "
				      "(hcfuzz spec) or 'hypercall_index' (Xen FastABI file)", c->file);
}

int hcf_spec_load_buffer(const char *name, const char *text, size_t len, struct hcf_abi **out,
			 struct hcf_diags *diags)
{
	struct hcf_diags local;
	struct hcf_abi *abi = new_abi();
	struct hcf_spec_ctx c = { .diags = diags ? diags : &local, .abi = abi };

	if (!diags)
		hcf_diags_init(&local);
	*out = NULL;
	hcf_spec_set_file(&c, name ? name : "<buffer>");
	abi->path = hcf_xstrdup(c.file);
	abi->digest = hcf_fnv64(HCF_FNV64_SEED, text ? text : "", text ? len : 0);
	struct hcf_ynode *root = hcf_yaml_parse(&c, text ? text : "", text ? len : 0);
	if (root) {
		switch (classify(root)) {
		case FILE_NATIVE:
			hcf_spec_native_load(&c, root);
			break;
		case FILE_FASTABI:
			hcf_spec_fastabi_init(&c);
			hcf_spec_fastabi_add_file(&c, root);
			hcf_spec_fastabi_finish(&c);
			if (!abi->name && abi->ncalls)
				abi->name = hcf_xstrdup(abi->calls[0].name);
			break;
		default:
			not_a_spec(&c, root);
			break;
		}
		hcf_yaml_free(root);
	}
	if (!c.nerr && !abi->name)
		abi->name = hcf_xstrdup("?");
	return finish(&c, abi, out);
}

static bool has_yaml_suffix(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && ((n > 4 && !strcmp(name + n - 4, ".yml")) ||
				  (n > 5 && !strcmp(name + n - 5, ".yaml")));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void file_error(struct hcf_spec_ctx *c, const char *path, int err)
{
	if (err == EFBIG)
		hcf_diag_addf(c->diags, path, 0, 0, "cannot read: larger than %u MiB",
			      HCF_SPEC_MAX_FILE >> 20);
	else
		hcf_diag_addf(c->diags, path, 0, 0, "cannot read: %s", strerror(err));
	c->nerr++;
}

/* Xen FastABI operation files, merged into one ABI: files[i].text is NULL
 * for a file that could not be read (its error already counted in c). */
static void merge_fastabi(struct hcf_spec_ctx *c, const struct hcf_spec_text *files, size_t n)
{
	struct hcf_abi *abi = c->abi;
	if (n == 0)
		return;
	hcf_spec_fastabi_init(c);
	abi->digest = HCF_FNV64_SEED;
	for (size_t i = 0; i < n; i++) {
		hcf_spec_set_file(c, files[i].name);
		if (!files[i].text)
			continue;
		abi->digest = hcf_fnv64(abi->digest, files[i].text, files[i].len);
		struct hcf_ynode *root = hcf_yaml_parse(c, files[i].text, files[i].len);
		if (root) {
			if (i == 0)
				abi->pos = hcf_spec_pos(c, root);
			if (classify(root) == FILE_FASTABI)
				hcf_spec_fastabi_add_file(c, root);
			else if (classify(root) == FILE_NATIVE)
				hcf_spec_err(c, root, "%s: a directory holds Xen FastABI operation "
						      "files; load a native spec by its file name",
					     c->file);
			else
				not_a_spec(c, root);
			hcf_yaml_free(root);
		}
	}
	hcf_spec_fastabi_finish(c);
}

int hcf_spec_load_fastabi_texts(const char *name, const struct hcf_spec_text *files, size_t n,
				struct hcf_abi **out, struct hcf_diags *diags)
{
	struct hcf_diags local;
	if (!diags) {
		hcf_diags_init(&local);
		diags = &local;
	}
	struct hcf_abi *abi = new_abi();
	struct hcf_spec_ctx c = { .diags = diags, .abi = abi };
	*out = NULL;
	abi->path = hcf_xstrdup(name);
	abi->name = hcf_xstrdup(name);
	if (n == 0) {
		hcf_diag_addf(diags, name, 0, 0, "no Xen FastABI operation files");
		c.nerr++;
	}
	merge_fastabi(&c, files, n);
	return finish(&c, abi, out);
}

/* A directory of Xen FastABI operation files, merged into one ABI named
 * after the directory. Files load in name order so call order, op indices
 * and diagnostics do not depend on readdir. */
static int load_dir(const char *path, struct hcf_abi **out, struct hcf_diags *diags)
{
	struct hcf_abi *abi = new_abi();
	struct hcf_spec_ctx c = { .diags = diags, .abi = abi };
	char **names = NULL;
	size_t n = 0;

	abi->path = hcf_xstrdup(path);
	/* The name: the last path component, trailing slashes ignored. */
	size_t namelen, start = hcf_path_base(path, &namelen), end = start + namelen;
	abi->name = hcf_xstrndup(path + start, namelen);

	DIR *d = opendir(path);
	if (!d) {
		file_error(&c, path, errno);
		return finish(&c, abi, out);
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!has_yaml_suffix(de->d_name))
			continue;
		names = hcf_xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = hcf_xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);

	if (n == 0) {
		hcf_diag_addf(diags, path, 0, 0, "no *.yml or *.yaml files in this directory");
		c.nerr++;
	}
	struct hcf_spec_text *files = hcf_xcalloc(n ? n : 1, sizeof(*files));
	for (size_t i = 0; i < n; i++) {
		char *file = hcf_xasprintf("%.*s/%s", (int)end, path, names[i]);
		files[i].name = file;
		files[i].text = hcf_read_file(file, HCF_SPEC_MAX_FILE, &files[i].len);
		if (!files[i].text)
			file_error(&c, file, errno);
	}
	merge_fastabi(&c, files, n);
	for (size_t i = 0; i < n; i++) {
		free((char *)files[i].name);
		free((char *)files[i].text);
		free(names[i]);
	}
	free(files);
	free(names);
	return finish(&c, abi, out);
}

int hcf_spec_load(const char *path, struct hcf_abi **out, struct hcf_diags *diags)
{
	struct hcf_diags local;
	struct stat st;

	*out = NULL;
	if (!diags) {
		hcf_diags_init(&local);
		diags = &local;
	}
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return load_dir(path, out, diags);

	size_t len;
	char *text = hcf_read_file(path, HCF_SPEC_MAX_FILE, &len);
	if (!text) {
		int e = errno;
		hcf_diag_addf(diags, path, 0, 0, "cannot read: %s",
			      e == EFBIG ? "file too large" : strerror(e));
		return -1;
	}
	int rc = hcf_spec_load_buffer(path, text, len, out, diags);
	free(text);
	return rc;
}

