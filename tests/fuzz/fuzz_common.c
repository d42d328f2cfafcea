/* fuzz_common.c: the specs the parser fuzz targets use, input splitting, failures. */
#include "fuzz_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prog/codec.h"
#include "util/diag.h"
#include "util/fileio.h"
#include "util/xalloc.h"

#define MAX_ABIS 32

static const struct hcf_abi *abis[MAX_ABIS];
static size_t nabis;

_Noreturn void hcf_fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("hcfuzz parser fuzzing: property failed: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

static void load_all(void)
{
	const char *src = getenv("HCF_SOURCE_DIR");
	if (!src || !*src)
		src = HCF_FUZZ_SOURCE_DIR;
	char *list = hcf_xasprintf("%s/tests/fuzz/abis.list", src);
	size_t len;
	char *text = hcf_read_file(list, 1u << 16, &len);
	if (!text) {
		fprintf(stderr, "%s: cannot read (set HCF_SOURCE_DIR to the source tree)\n", list);
		exit(2);
	}
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#' || !line[0])
			continue;
		char *sp = strchr(line, ' ');
		if (sp)
			*sp = '\0';
		if (nabis == MAX_ABIS) {
			fprintf(stderr, "%s: more than %d specs\n", list, MAX_ABIS);
			exit(2);
		}
		char *path = hcf_xasprintf("%s/%s", src, line);
		struct hcf_abi *abi;
		struct hcf_diags d;
		hcf_diags_init(&d);
		if (hcf_spec_load(path, &abi, &d) != 0) {
			hcf_diags_print(&d, stderr);
			exit(2);
		}
		abis[nabis++] = abi;
		free(path);
	}
	free(text);
	free(list);
	if (!nabis) {
		fprintf(stderr, "%s: no specs\n", src);
		exit(2);
	}
}

size_t hcf_fuzz_abis(const struct hcf_abi *const **out)
{
	if (!nabis)
		load_all();
	*out = abis;
	return nabis;
}

const struct hcf_abi *hcf_fuzz_pick_abi(const uint8_t **data, size_t *len)
{
	const struct hcf_abi *const *all;
	size_t n = hcf_fuzz_abis(&all);
	if (!*len)
		return NULL;
	const struct hcf_abi *abi = all[**data % n];
	(*data)++;
	(*len)--;
	return abi;
}

size_t hcf_fuzz_split(const uint8_t *data, size_t len, struct hcf_fuzz_part *parts, size_t max)
{
	const char *s = (const char *)data, *end = s + len;
	const size_t mlen = sizeof(HCF_FUZZ_SPLIT) - 1;
	size_t n = 0;
	while (n + 1 < max) {
		const char *m = memmem(s, (size_t)(end - s), HCF_FUZZ_SPLIT, mlen);
		if (!m)
			break;
		parts[n++] = (struct hcf_fuzz_part){ s, (size_t)(m - s) };
		s = m + mlen;
	}
	if (max)
		parts[n++] = (struct hcf_fuzz_part){ s, (size_t)(end - s) };
	return n;
}

void hcf_fuzz_check_spec_load(int rc, struct hcf_abi *abi, const struct hcf_diags *d,
			      const uint8_t *data, size_t len)
{
	if (rc != 0) {
		if (abi)
			hcf_fuzz_fail("a spec that failed to load was returned");
		if (!d->n)
			hcf_fuzz_fail("a spec failed to load without a diagnostic");
		return;
	}
	/* the input's own bytes as a fuzzer input for the spec */
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	hcf_prog_decode(&p, abi, data, len);
	char why[256];
	if (hcf_prog_validate(&p, why, sizeof(why)) != 0)
		hcf_fuzz_fail("a program decoded against an accepted spec is invalid: %s", why);
	hcf_prog_free(&p);
	hcf_spec_free(abi);
}
