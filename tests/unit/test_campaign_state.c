/*
 * test_campaign_state.c: what a resumed campaign reads back from its
 * directory (fuzz/campaign.h): engines.pid, the elapsed time of earlier
 * runs in stats.csv, the engines' progress files; damaged files included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuzz/campaign.h"
#include "fuzz/campaign_dir.h"
#include "util/fileio.h"
#include "util/xalloc.h"

static void put(const char *dir, const char *name, const char *text)
{
	char *p = hcf_xasprintf("%s/%s", dir, name);
	assert_int_equal(hcf_write_file_atomic(p, text, strlen(text)), 0);
	free(p);
}

/* "PID NAME" lines as the campaign writes them; anything else skipped,
 * pid 0 and 1 never, no number longer than a pid, nothing past len. */
static void test_engine_pids(void **state)
{
	static const struct {
		const char *text;
		size_t n;
		long pids[4];
	} cases[] = {
		{ "1234 hcfuzz-fuzz-libfuzzer\n5678 afl-fuzz\n", 2, { 1234, 5678 } },
		{ "1234 x", 1, { 1234 } },
		{ "0 x\n1 x\n-5 x\n x\nabc\n12x y\n\n", 0, { 0 } },
		{ "99999999999999999999999 x\n77 y\n", 1, { 77 } },
		{ "42\n", 1, { 42 } },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long pids[8];
		size_t n = hcf_campaign_engine_pids(cases[i].text, strlen(cases[i].text), pids, 8);
		assert_int_equal(n, cases[i].n);
		for (size_t k = 0; k < n; k++)
			assert_int_equal(pids[k], cases[i].pids[k]);
	}
	long one[1];
	assert_int_equal(hcf_campaign_engine_pids("10 a\n11 b\n", 10, one, 1), 1);
	assert_int_equal(hcf_campaign_engine_pids("10 a\n11 b\n", 3, one, 1), 1);
	assert_int_equal(one[0], 10);
	assert_int_equal(hcf_campaign_engine_pids("10 a\n11 b\n", 1, one, 1), 0); /* "1" */
}

static void test_elapsed_and_progress(void **state)
{
	char dir[] = "/tmp/hcf-cstate-XXXXXX";
	assert_non_null(mkdtemp(dir));
	assert_true(hcf_campaign_elapsed_before(dir) == 0); /* no stats.csv */
	put(dir, HCF_CAMPAIGN_STATS,
	    "unix_time,elapsed_s,execs\n1795200001,12.5,100\ngarbage\n1795200002,7,200\n1795200003,");
	assert_true(hcf_campaign_elapsed_before(dir) == 12.5);

	char *sd = hcf_xasprintf("%s/%s", dir, HCF_CAMPAIGN_STATS_DIR);
	assert_int_equal(hcf_mkdir_p(sd, 0755), 0);
	put(sd, "a.json", "{\"execs\": 10, \"calls\": 30, \"anomalies\": {\"x\": 2, \"y\": 5}}");
	put(sd, "b.json", "{\"execs\": 5, \"calls\": \"many\", \"anomalies\": [1]}");
	put(sd, "c.json", "{\"execs\": 7, \"cal");
	put(sd, "d.features", "short");
	struct hcf_campaign_progress pg;
	hcf_campaign_progress_read(dir, "libfuzzer", &pg);
	assert_int_equal(pg.execs, 15);
	assert_int_equal(pg.calls, 30);
	assert_int_equal(pg.features, 0);
	assert_string_equal(pg.anomalies, "y 5, x 2");

	char *cmd = hcf_xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(sd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_pids),
		cmocka_unit_test(test_elapsed_and_progress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
