/* test_frame.c: the external doorbell's frames: whole, torn, foreign, corrupted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hcf_proto.h"
#include "target/engine.h"

static struct hcf_frame frame(uint32_t event, uint32_t seq)
{
	struct hcf_frame f = { .magic = HCF_FRAME_MAGIC, .version = HCF_FRAME_VERSION, .event = event,
			       .seq = seq };
	f.check = hcf_frame_check(&f);
	return f;
}

static void test_whole_and_torn(void **state)
{
	(void)state;
	struct hcf_frame f = frame(HCF_EV_READY, 7), got;
	uint8_t buf[2 * sizeof(f)];
	char why[200] = "";
	memcpy(buf, &f, sizeof(f));
	/* every prefix is "not yet" */
	for (size_t n = 0; n < sizeof(f); n++)
		assert_int_equal(hcf_frame_parse(buf, n, &got, why, sizeof(why)), HCF_FRAME_NEED);
	assert_int_equal(hcf_frame_parse(buf, sizeof(f), &got, why, sizeof(why)), HCF_FRAME_OK);
	assert_int_equal(got.event, HCF_EV_READY);
	assert_int_equal(got.seq, 7);
	/* a second frame right behind does not disturb the first */
	struct hcf_frame g = frame(HCF_EV_DONE, 8);
	memcpy(buf + sizeof(f), &g, sizeof(g));
	assert_int_equal(hcf_frame_parse(buf, sizeof(buf), &got, why, sizeof(why)), HCF_FRAME_OK);
	assert_int_equal(got.event, HCF_EV_READY);
	assert_int_equal(hcf_frame_parse(buf + sizeof(f), sizeof(g), &got, why, sizeof(why)), HCF_FRAME_OK);
	assert_int_equal(got.event, HCF_EV_DONE);
}

static void test_garbage(void **state)
{
	(void)state;
	struct hcf_frame f = frame(HCF_EV_DONE, 1), got;
	char why[200];
	uint8_t buf[sizeof(f)];

	/* a corrupted byte anywhere: the check or the magic catches it */
	for (size_t i = 0; i < sizeof(f); i++) {
		memcpy(buf, &f, sizeof(f));
		buf[i] ^= 0x01;
		why[0] = '\0';
		assert_int_equal(hcf_frame_parse(buf, sizeof(buf), &got, why, sizeof(why)),
				 HCF_FRAME_GARBAGE);
		assert_non_null(strstr(why, "garbage on the doorbell"));
	}
	/* another version, with a right check: still not this protocol */
	struct hcf_frame v2 = f;
	v2.version = HCF_FRAME_VERSION + 1;
	v2.check = hcf_frame_check(&v2);
	assert_int_equal(hcf_frame_parse((const uint8_t *)&v2, sizeof(v2), &got, why, sizeof(why)),
			 HCF_FRAME_GARBAGE);
	assert_non_null(strstr(why, "check right"));
	/* text on the doorbell (a guest printing to the wrong port) */
	const char *text = "hello, hypervisor!!!";
	assert_int_equal(hcf_frame_parse((const uint8_t *)text, strlen(text), &got, why, sizeof(why)),
			 HCF_FRAME_GARBAGE);
	assert_non_null(strstr(why, "68 65 6c 6c"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_and_torn),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
