/* test_verdict.c: verdict names, order, exit codes, issue lists and tallies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "oracles/verdict.h"

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
	/* Distinct from each other and from usage errors. */
	for (int a = 0; a < HCF_V_COUNT; a++) {
		assert_int_not_equal(hcf_verdict_exit_code((enum hcf_verdict)a), HCF_EXIT_USAGE);
		for (int b = a + 1; b < HCF_V_COUNT; b++)
			assert_int_not_equal(hcf_verdict_exit_code((enum hcf_verdict)a),
					     hcf_verdict_exit_code((enum hcf_verdict)b));
	}
	/* Garbage never exits 0. */
	assert_int_equal(hcf_verdict_exit_code((enum hcf_verdict)42), HCF_EXIT_ERROR);
}

static void test_worst_wins(void **state)
{
	/* The documented order: PASS < SKIP < ERROR < FAIL < HANG < CRASH. */
	assert_true(HCF_V_PASS < HCF_V_SKIP && HCF_V_SKIP < HCF_V_ERROR &&
		    HCF_V_ERROR < HCF_V_FAIL && HCF_V_FAIL < HCF_V_HANG &&
		    HCF_V_HANG < HCF_V_CRASH);
	assert_int_equal(hcf_verdict_worst(HCF_V_FAIL, HCF_V_SKIP), HCF_V_FAIL);
	assert_int_equal(hcf_verdict_worst(HCF_V_HANG, HCF_V_FAIL), HCF_V_HANG);
	assert_int_equal(hcf_verdict_worst(HCF_V_PASS, HCF_V_CRASH), HCF_V_CRASH);

	struct hcf_call_verdict cv;
	hcf_call_verdict_init(&cv);
	assert_int_equal(cv.v, HCF_V_PASS);
	hcf_call_verdict_add(&cv, HCF_V_SKIP, "liveness", "outcome", "skipped");
	assert_int_equal(cv.v, HCF_V_SKIP);
	hcf_call_verdict_add(&cv, HCF_V_HANG, "liveness", "outcome", "hung");
	hcf_call_verdict_add(&cv, HCF_V_FAIL, "clobber", "rbx", "changed");
	assert_int_equal(cv.v, HCF_V_HANG);
	hcf_call_verdict_add(&cv, HCF_V_CRASH, "liveness", "outcome", "lost");
	assert_int_equal(cv.v, HCF_V_CRASH);
	assert_int_equal(cv.nissues, 4);
}

static void test_issue_fields(void **state)
{
	struct hcf_call_verdict cv;
	hcf_call_verdict_init(&cv);
	struct hcf_issue *is = hcf_call_verdict_add_values(&cv, HCF_V_FAIL, "clobber", "rbx", 0x11,
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
	is = hcf_call_verdict_add(&cv, HCF_V_FAIL, "memory", big, "%s", big);
	assert_non_null(is);
	assert_int_equal(strlen(is->where), sizeof(is->where) - 1);
	assert_int_equal(strlen(is->reason), sizeof(is->reason) - 1);
}

static void test_overflow_counted(void **state)
{
	struct hcf_call_verdict cv;
	hcf_call_verdict_init(&cv);
	for (int i = 0; i < HCF_MAX_ISSUES; i++)
		assert_non_null(hcf_call_verdict_add(&cv, HCF_V_SKIP, "x", "y", "issue %d", i));
	assert_int_equal(cv.nissues, HCF_MAX_ISSUES);
	assert_int_equal(cv.dropped, 0);
	/* Further issues are counted, and still decide the verdict. */
	assert_null(hcf_call_verdict_add(&cv, HCF_V_FAIL, "x", "y", "dropped"));
	assert_null(hcf_call_verdict_add_values(&cv, HCF_V_CRASH, "x", "y", 1, 2, "dropped"));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_worst_wins),
		cmocka_unit_test(test_issue_fields),
		cmocka_unit_test(test_overflow_counted),
		cmocka_unit_test(test_tally),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
