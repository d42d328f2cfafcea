/* test_engine_bin.c: reading a CMake cache, and what a campaign says when it cannot get its engine's binary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fuzz/engine_bin.h"
#include "util/xalloc.h"

static void test_cache_get(void **state)
{
	(void)state;
	const char *cache = "# comment\n"
			    "HCF_BUILD_FUZZERS_EXTRA:BOOL=yes\n"
			    "HCF_BUILD_FUZZERS:BOOL=OFF\n"
			    "CMAKE_COMMAND:INTERNAL=/usr/bin/cmake\r\n"
			    "EMPTY:STRING=\n"
			    "LAST:STRING=a=b";
	char v[32];
	assert_true(hcf_cmake_cache_get(cache, "HCF_BUILD_FUZZERS", v, sizeof(v)));
	assert_string_equal(v, "OFF"); /* not the longer key that starts alike */
	assert_true(hcf_cmake_cache_get(cache, "CMAKE_COMMAND", v, sizeof(v)));
	assert_string_equal(v, "/usr/bin/cmake");
	assert_true(hcf_cmake_cache_get(cache, "EMPTY", v, sizeof(v)));
	assert_string_equal(v, "");
	assert_true(hcf_cmake_cache_get(cache, "LAST", v, sizeof(v)));
	assert_string_equal(v, "a=b"); /* no newline at the end, '=' in the value */
	assert_false(hcf_cmake_cache_get(cache, "HCF_SANITIZE", v, sizeof(v)));
	assert_false(hcf_cmake_cache_get(cache, "# comment", v, sizeof(v)));
	char small[4];
	assert_false(hcf_cmake_cache_get(cache, "CMAKE_COMMAND", small, sizeof(small)));
}

struct dir {
	char path[64];
};

static void make_dir(struct dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/hcf-engine-bin.XXXXXX");
	assert_non_null(mkdtemp(d->path));
}

static void put(const struct dir *d, const char *name, const char *text, mode_t mode)
{
	char *p = hcf_xasprintf("%s/%s", d->path, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
	free(p);
}

static void remove_dir(const struct dir *d)
{
	char *cmd = hcf_xasprintf("rm -rf '%s'", d->path);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static char *get(const struct dir *d, bool build, char *err, size_t errlen)
{
	char *log = hcf_xasprintf("%s/build.log", d->path);
	struct hcf_engine_bin_opts o = {
		.bindir = d->path, .name = "hcfuzz-fuzz-afl", .needs = "afl++", .build = build,
		.log = log,
	};
	err[0] = '\0';
	char *bin = hcf_engine_binary(&o, err, errlen);
	free(log);
	return bin;
}

/* No build directory: the binary as it is, or the command that builds it. */
static void test_no_build_dir(void **state)
{
	(void)state;
	struct dir d;
	make_dir(&d);
	char err[512];
	assert_null(get(&d, true, err, sizeof(err)));
	assert_non_null(strstr(err, "hcfuzz-fuzz-afl is missing"));
	assert_non_null(strstr(err, "cmake --build BUILD_DIR --target hcfuzz-fuzz-afl"));
	assert_non_null(strstr(err, "afl++"));
	put(&d, "hcfuzz-fuzz-afl", "#!/bin/sh\n", 0755);
	char *bin = get(&d, true, err, sizeof(err));
	assert_non_null(bin);
	assert_non_null(strstr(bin, d.path));
	free(bin);
	remove_dir(&d);
}

/* A build that has no fuzz targets says which setting leaves them out. */
static void test_build_without_fuzz_targets(void **state)
{
	(void)state;
	static const struct {
		const char *cache, *says;
	} cases[] = {
		{ "CMAKE_COMMAND:INTERNAL=/bin/false\nHCF_BUILD_FUZZERS:BOOL=OFF\n", "-DHCF_BUILD_FUZZERS=ON" },
		{ "CMAKE_COMMAND:INTERNAL=/bin/false\nHCF_BUILD_FUZZERS:BOOL=ON\nHCF_SANITIZE:BOOL=ON\n",
		  "sanitizer build" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dir d;
		make_dir(&d);
		put(&d, "CMakeCache.txt", cases[i].cache, 0644);
		char err[512];
		assert_null(get(&d, true, err, sizeof(err)));
		assert_non_null(strstr(err, cases[i].says));
		remove_dir(&d);
	}
}

/* A build that fails: the error quotes the line that says why and names
 * the log. The real cmake, asked to configure a directory that is no
 * build tree, is the failure. */
static void test_build_fails(void **state)
{
	(void)state;
	if (system("command -v cmake >/dev/null") != 0)
		skip();
	struct dir d;
	make_dir(&d);
	FILE *p = popen("command -v cmake", "r");
	char cmake[256] = { 0 };
	assert_non_null(fgets(cmake, sizeof(cmake), p));
	pclose(p);
	cmake[strcspn(cmake, "\n")] = '\0';
	char *cache = hcf_xasprintf("CMAKE_COMMAND:INTERNAL=%s\n", cmake);
	put(&d, "CMakeCache.txt", cache, 0644);
	free(cache);
	char err[1024];
	assert_null(get(&d, true, err, sizeof(err)));
	assert_non_null(strstr(err, "building hcfuzz-fuzz-afl failed"));
	assert_non_null(strstr(err, "Error"));
	assert_non_null(strstr(err, "build.log"));
	/* HCF_FUZZ_BIN_DIR's case: never built, just looked for */
	assert_null(get(&d, false, err, sizeof(err)));
	assert_non_null(strstr(err, "is missing"));
	remove_dir(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_get),
		cmocka_unit_test(test_no_build_dir),
		cmocka_unit_test(test_build_without_fuzz_targets),
		cmocka_unit_test(test_build_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
