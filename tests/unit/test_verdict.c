/* test_verdict.c: verdict names, order, exit codes, issue lists and tallies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "oracles/verdict.h"

static const struct hcf_loc OUTCOME = { .kind = HCF_LOC_OUTCOME, .buf = -1 };
static const struct hcf_loc RBX = { .kind = HCF_LOC_REG, .reg = 3, .buf = -1 };
static const struct hcf_loc ANY = { .kind = HCF_LOC_NONE, .buf = -1, .name = "y" };

static void test_names_round_trip(void **state)
{
	for (int v = 0; v < HCF_V_COUNT; v++) {
		enum hcf_verdict back;
		assert_int_equal(hcf_verdict_parse(hcf_verdict_name((enum hcf_verdict)v), &back), 0);
		assert_int_equal(back, v);
	}
	enum hcf_verdict v;
	assert_int_equal(hcf_verdict_parse("fail", &v), 0);
	assert_int_equal(v, HCF_V_FAIL);
	assert_int_equal(hcf_verdict_parse("Crash", &v), 0);
	assert_int_equal(v, HCF_V_CRASH);
	assert_int_equal(hcf_verdict_parse("bogus", &v), -1);
	assert_int_equal(hcf_verdict_parse("", &v), -1);
	assert_string_equal(hcf_verdict_name(HCF_V_PASS), "PASS");
	assert_string_equal(hcf_verdict_name(HCF_V_HANG), "HANG");
	assert_string_equal(hcf_verdict_name((enum hcf_verdict)99), "?");
}

static void test_exit_codes(void **state)
{
	assert_int_equal(hcf_verdict_exit_code(HCF_V_PASS), 0);
	assert_int_equal(hcf_verdict_exit_code(HCF_V_SKIP), HCF_EXIT_SKIP);
	assert_int_equal(hcf_verdict_exit_code(HCF_V_ERROR), HCF_EXIT_ERROR);
	assert_int_equal(hcf_verdict_exit_code(HCF_V_FAIL), HCF_EXIT_FAIL);
	assert_int_equal(hcf_verdict_exit_code(HCF_V_HANG), HCF_EXIT_HANG);
	assert_int_equal(hcf_verdict_exit_code(HCF_V_CRASH), HCF_EXIT_CRASH);
	assert_int_equal(hcf_verdict_exit_code(HCF_V_XPASS), HCF_EXIT_XPASS);
	/* An expected loss and a known anomaly keep the contract as the spec
	 * states it: the run does not fail. */
	assert_int_equal(hcf_verdict_exit_code(HCF_V_LOST), 0);
	assert_int_equal(hcf_verdict_exit_code(HCF_V_XFAIL), 0);
	assert_false(hcf_verdict_fails(HCF_V_LOST));
	assert_false(hcf_verdict_fails(HCF_V_XFAIL));
	assert_true(hcf_verdict_fails(HCF_V_XPASS));
	assert_true(hcf_verdict_fails(HCF_V_SKIP));
	/* Every verdict that fails a run has its own code, none a usage error's. */
	for (int a = 0; a < HCF_V_COUNT; a++) {
		assert_int_not_equal(hcf_verdict_exit_code((enum hcf_verdict)a), HCF_EXIT_USAGE);
		for (int b = a + 1; b < HCF_V_COUNT; b++)
			if (hcf_verdict_fails((enum hcf_verdict)a))
				assert_int_not_equal(hcf_verdict_exit_code((enum hcf_verdict)a),
						     hcf_verdict_exit_code((enum hcf_verdict)b));
	}
	/* Garbage never exits 0. */
	assert_int_equal(hcf_verdict_exit_code((enum hcf_verdict)42), HCF_EXIT_ERROR);
}

static void test_worst_wins(void **state)
{
	/* The documented order:
	 * PASS < LOST < XFAIL < SKIP < XPASS < ERROR < FAIL < HANG < CRASH. */
	assert_true(HCF_V_PASS < HCF_V_LOST && HCF_V_LOST < HCF_V_XFAIL &&
		    HCF_V_XFAIL < HCF_V_SKIP && HCF_V_SKIP < HCF_V_XPASS &&
		    HCF_V_XPASS < HCF_V_ERROR && HCF_V_ERROR < HCF_V_FAIL &&
		    HCF_V_FAIL < HCF_V_HANG && HCF_V_HANG < HCF_V_CRASH);
	assert_int_equal(hcf_verdict_worst(HCF_V_FAIL, HCF_V_SKIP), HCF_V_FAIL);
	assert_int_equal(hcf_verdict_worst(HCF_V_HANG, HCF_V_FAIL), HCF_V_HANG);
	assert_int_equal(hcf_verdict_worst(HCF_V_PASS, HCF_V_CRASH), HCF_V_CRASH);

	struct hcf_call_verdict cv;
	hcf_call_verdict_init(&cv);
	assert_int_equal(cv.v, HCF_V_PASS);
	hcf_call_verdict_add(&cv, HCF_V_SKIP, "liveness", &OUTCOME, "skipped");
	assert_int_equal(cv.v, HCF_V_SKIP);
	hcf_call_verdict_add(&cv, HCF_V_HANG, "liveness", &OUTCOME, "hung");
	hcf_call_verdict_add(&cv, HCF_V_FAIL, "clobber", &RBX, "changed");
	assert_int_equal(cv.v, HCF_V_HANG);
	hcf_call_verdict_add(&cv, HCF_V_CRASH, "liveness", &OUTCOME, "lost");
	assert_int_equal(cv.v, HCF_V_CRASH);
	assert_int_equal(cv.nissues, 4);
}

static void test_issue_fields(void **state)
{
	struct hcf_call_verdict cv;
	hcf_call_verdict_init(&cv);
	struct hcf_issue *is = hcf_call_verdict_add_values(&cv, HCF_V_FAIL, "clobber", &RBX, 0x11,
							   0x22, "rbx changed in call %d", 3);
	assert_non_null(is);
	assert_int_equal(is->v, HCF_V_FAIL);
	assert_string_equal(is->oracle, "clobber");
	assert_string_equal(is->where, "rbx");
	assert_true(is->has_values);
	assert_int_equal(is->expected, 0x11);
	assert_int_equal(is->got, 0x22);
	assert_string_equal(is->reason, "rbx changed in call 3");

	is = hcf_call_verdict_add(&cv, HCF_V_SKIP, "memory", NULL, "no values");
	assert_non_null(is);
	assert_false(is->has_values);
	assert_string_equal(is->where, "");

	/* Long text is cut, not overflowed. */
	char big[400];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is = hcf_call_verdict_add(&cv, HCF_V_FAIL, "memory", NULL, "%s", big);
	assert_non_null(is);
	assert_int_equal(strlen(is->reason), sizeof(is->reason) - 1);
}

static void test_overflow_counted(void **state)
{
	struct hcf_call_verdict cv;
	hcf_call_verdict_init(&cv);
	for (int i = 0; i < HCF_MAX_ISSUES; i++)
		assert_non_null(hcf_call_verdict_add(&cv, HCF_V_SKIP, "x", &ANY, "issue %d", i));
	assert_int_equal(cv.nissues, HCF_MAX_ISSUES);
	assert_int_equal(cv.dropped, 0);
	/* Further issues are counted, and still decide the verdict. */
	assert_null(hcf_call_verdict_add(&cv, HCF_V_FAIL, "x", &ANY, "dropped"));
	assert_null(hcf_call_verdict_add_values(&cv, HCF_V_CRASH, "x", &ANY, 1, 2, "dropped"));
	assert_int_equal(cv.nissues, HCF_MAX_ISSUES);
	assert_int_equal(cv.dropped, 2);
	assert_int_equal(cv.v, HCF_V_CRASH);
	assert_string_equal(cv.issues[HCF_MAX_ISSUES - 1].reason, "issue 7");
}

static void test_tally(void **state)
{
	struct hcf_tally t;
	memset(&t, 0, sizeof(t));
	hcf_tally_add(&t, HCF_V_PASS);
	hcf_tally_add(&t, HCF_V_PASS);
	hcf_tally_add(&t, HCF_V_SKIP);
	assert_int_equal(t.worst, HCF_V_SKIP);
	hcf_tally_add(&t, HCF_V_FAIL);
	hcf_tally_add(&t, HCF_V_ERROR);
	assert_int_equal(t.total, 5);
	assert_int_equal(t.n[HCF_V_PASS], 2);
	assert_int_equal(t.n[HCF_V_FAIL], 1);
	assert_int_equal(t.worst, HCF_V_FAIL);
	/* An out-of-range verdict is a harness error, never a pass. */
	hcf_tally_add(&t, (enum hcf_verdict)77);
	assert_int_equal(t.n[HCF_V_ERROR], 2);
}

/* The places, rendered the way reports and signatures have always read. */
static void test_loc_format(void **state)
{
	char b[64];
	struct hcf_loc l = hcf_loc_reg(3);
	assert_string_equal(hcf_loc_format(&l, b, sizeof(b)), "rbx");
	l = hcf_loc_flag(0);
	assert_string_equal(hcf_loc_format(&l, b, sizeof(b)), "rflags.CF");
	l = hcf_loc_flag(3);
	assert_string_equal(hcf_loc_format(&l, b, sizeof(b)), "rflags.bit3");
	l = (struct hcf_loc){ .kind = HCF_LOC_XMM, .reg = 7, .buf = -1 };
	assert_string_equal(hcf_loc_format(&l, b, sizeof(b)), "xmm7");
	l = (struct hcf_loc){ .kind = HCF_LOC_GUARD_BELOW, .buf = 0, .off = -3 };
	assert_string_equal(hcf_loc_format(&l, b, sizeof(b)), "guard buf0-3");
	l = (struct hcf_loc){ .kind = HCF_LOC_GUARD_ABOVE, .buf = 2, .off = 20 };
	assert_string_equal(hcf_loc_format(&l, b, sizeof(b)), "guard buf2+20");
	l = (struct hcf_loc){ .kind = HCF_LOC_FIELD, .buf = 1, .off = 12, .name = "wt.nsecs" };
	assert_string_equal(hcf_loc_format(&l, b, sizeof(b)), "buf1+12 (wt.nsecs)");
	l = (struct hcf_loc){ .kind = HCF_LOC_PADDING, .buf = 1, .off = 17, .name = "wt" };
	assert_string_equal(hcf_loc_format(&l, b, sizeof(b)), "buf1+17 (wt padding)");
	l = (struct hcf_loc){ .kind = HCF_LOC_PAST_STRUCT, .buf = 1, .off = 30, .name = "wt" };
	assert_string_equal(hcf_loc_format(&l, b, sizeof(b)), "buf1+30 (past wt)");
	l = (struct hcf_loc){ .kind = HCF_LOC_READONLY, .buf = 0, .off = 1 };
	assert_string_equal(hcf_loc_format(&l, b, sizeof(b)), "buf0+1 (read-only)");
	l = (struct hcf_loc){ .kind = HCF_LOC_PAGE, .buf = -1, .addr = 0x7014 };
	assert_string_equal(hcf_loc_format(&l, b, sizeof(b)), "page 0x7000");
	l = hcf_loc_of(HCF_LOC_OUTCOME);
	assert_string_equal(hcf_loc_format(&l, b, sizeof(b)), "outcome");
	assert_true(hcf_loc_is_memory(&(struct hcf_loc){ .kind = HCF_LOC_PAGE }));
	assert_false(hcf_loc_is_memory(&(struct hcf_loc){ .kind = HCF_LOC_REG }));
	for (int k = 0; k < HCF_LOC_COUNT; k++) {
		enum hcf_loc_kind back;
		assert_int_equal(hcf_loc_kind_parse(hcf_loc_kind_name((enum hcf_loc_kind)k), &back), 0);
		assert_int_equal(back, k);
	}
}

/* The hook sees FAIL, HANG and CRASH issues before they count, kept or not. */
static void every_fail_is_known(const struct hcf_anomaly_hook *h, const struct hcf_call_verdict *cv,
				struct hcf_issue *is)
{
	(*(int *)h->ctx)++;
	is->anomaly = "known";
	is->v = HCF_V_XFAIL;
}

static void test_anomaly_hook(void **state)
{
	int seen = 0;
	struct hcf_anomaly_hook h = { .match = every_fail_is_known, .ctx = &seen };
	struct hcf_call_verdict cv;
	hcf_call_verdict_init(&cv);
	cv.hook = &h;
	for (int i = 0; i < HCF_MAX_ISSUES + 3; i++)
		hcf_call_verdict_add(&cv, HCF_V_FAIL, "clobber", &RBX, "changed");
	assert_int_equal(seen, HCF_MAX_ISSUES + 3);
	assert_int_equal(cv.v, HCF_V_XFAIL);
	assert_int_equal(cv.dropped, 3);
	assert_int_equal(cv.issues[0].was, HCF_V_FAIL);
	assert_string_equal(cv.issues[0].anomaly, "known");
	/* an ERROR is never offered: a harness problem is no known deviation */
	hcf_call_verdict_add(&cv, HCF_V_ERROR, "liveness", &OUTCOME, "garbage");
	assert_int_equal(seen, HCF_MAX_ISSUES + 3);
	assert_int_equal(cv.v, HCF_V_ERROR);

	struct hcf_tally t;
	memset(&t, 0, sizeof(t));
	hcf_tally_add(&t, HCF_V_PASS);
	hcf_tally_add(&t, HCF_V_XFAIL);
	hcf_tally_add(&t, HCF_V_XFAIL);
	hcf_tally_add(&t, HCF_V_LOST);
	char buf[128];
	assert_string_equal(hcf_tally_format(&t, buf, sizeof(buf)), "PASS 1  LOST 1  XFAIL 2");
	assert_int_equal(t.worst, HCF_V_XFAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_worst_wins),
		cmocka_unit_test(test_issue_fields),
		cmocka_unit_test(test_overflow_counted),
		cmocka_unit_test(test_tally),
		cmocka_unit_test(test_loc_format),
		cmocka_unit_test(test_anomaly_hook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
