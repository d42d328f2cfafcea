/*
 * test_model_solo5_hvt.c: specs/solo5-hvt.yaml and its reference model "solo5-hvt".
 *
 * - the block device statefully: a write then a read of the same bytes
 *   gives them back, bytes never written read as zeros, a read whose bytes
 *   differ from the device's is a model FAIL at the data;
 * - what the tender must answer SOLO5_R_EINVAL (a handle that is no block
 *   device, the capacity, the block size) and what it must refuse (data
 *   outside guest memory once the checks passed, a network call without a
 *   network device), and a tender that returns instead is a FAIL;
 * - POLL's ready set, WALLTIME held to the host's clock;
 * - the devices from the target's info, the default without them, and what
 *   a forget keeps;
 * - the spec's whole plan on the model target (hcfuzz conform --target
 *   model): no FAIL, and a SKIP only where a status field lies outside the
 *   program's buffers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exec/exec.h"
#include "exec/targets.h"
#include "oracles/models/model.h"
#include "oracles/oracle.h"
#include "prog/plan.h"
#include "util/x86.h"

#include "model_run.h"

#define SPEC "specs/solo5-hvt.yaml"

/* Judge r with the spec's model opened on ti (NULL: the model target's). */
static enum hcf_verdict judge(struct mr_run *r, const struct hcf_abi *abi,
			      const struct hcf_target_info *ti)
{
	struct hcf_model m;
	assert_int_equal(hcf_model_open(&m, abi, ti ? ti : &r->ti), 0);
	r->worst = hcf_oracles_check(abi, &r->p, &r->res, &m, ti ? ti : &r->ti, r->cvs);
	hcf_model_close(&m);
	return r->worst;
}

static void test_table(void **state)
{
	(void)state;
	assert_ptr_equal(hcf_model_find("solo5-hvt"), &hcf_model_solo5_hvt);
	struct hcf_abi *abi = mr_load_src(SPEC);
	assert_string_equal(abi->model, "solo5-hvt");
	assert_int_equal(abi->transport.kind, HCF_XPORT_PIO);
	assert_int_equal(abi->transport.port_base, 0x500);
	const struct hcf_op *op = hcf_spec_op_by_name(abi, "BLOCK_WRITE");
	assert_non_null(op);
	assert_int_equal(op->err, HCF_ERR_STATUS_FIELD);
	assert_int_equal(op->args[0].reg, HCF_RAX);
	assert_int_equal(op->args[0].width, 32);
	struct hcf_model m;
	assert_int_equal(hcf_model_open(&m, abi, NULL), 0);
	assert_false(m.fell_back);
	hcf_model_close(&m);
	hcf_spec_free(abi);
}

/* The bytes of buffer b after the run (past its guard). */
static const uint8_t *buf_bytes(const struct mr_run *r, size_t b)
{
	assert_true(b < r->res.nbufs && r->res.bufs[b].valid);
	return r->res.bufs[b].bytes + HCF_BUF_GUARD;
}

static uint32_t ret_of(const struct mr_run *r, size_t b)
{
	const uint8_t *s = buf_bytes(r, b);
	return (uint32_t)s[32] | (uint32_t)s[33] << 8 | (uint32_t)s[34] << 16 | (uint32_t)s[35] << 24;
}

/* Write 512 bytes at block 2, read them back, and read block 3 (never
 * written): the same bytes, then zeros; every test PASS. */
static const char write_read[] =
	"buf src size=512 fill=0xa7\n"
	"buf dst size=512 dir=out fill=0x33\n"
	"buf zero size=512 dir=out fill=0x33\n"
	"buf w struct=hvt_hc_block_write handle=STORAGE offset=1024 data=&src len=512\n"
	"buf r struct=hvt_hc_block_read handle=STORAGE offset=1024 data=&dst len=512\n"
	"buf z struct=hvt_hc_block_read handle=STORAGE offset=1536 data=&zero len=512\n"
	"call BLOCK_WRITE arg=&w\n"
	"call BLOCK_READ arg=&r\n"
	"call BLOCK_READ arg=&z\n";

static void test_write_read_back(void **state)
{
	(void)state;
	struct hcf_abi *abi = mr_load_src(SPEC);
	struct mr_run r;
	mr_run_model(&r, abi, write_read);
	assert_int_equal(r.res.liveness, HCF_LIVE_OK);
	for (int k = 0; k < 512; k++) {
		assert_int_equal(buf_bytes(&r, 1)[k], 0xa7);
		assert_int_equal(buf_bytes(&r, 2)[k], 0);
	}
	assert_int_equal(ret_of(&r, 3), 0);
	assert_int_equal(ret_of(&r, 4), 0);
	assert_int_equal(judge(&r, abi, NULL), HCF_V_PASS);

	/* a device that lost the write: the read's bytes are the model's FAIL */
	r.res.bufs[1].bytes[HCF_BUF_GUARD + 100] = 0;
	assert_int_equal(judge(&r, abi, NULL), HCF_V_FAIL);
	assert_true(mr_has_issue(&r.cvs[1], "model", NULL, "the first at +100: 0xa7 got 0x00"));
	mr_run_free(&r);
	hcf_spec_free(abi);
}

static const struct einval_case {
	const char *fields;       /* of hvt_hc_block_write, data=&d besides */
	uint32_t ret;
	const char *why;
} einval_cases[] = {
	{ "handle=STORAGE offset=0 len=512", 0, "a valid write" },
	{ "handle=STORAGE offset=0xfe00 len=512", 0, "a valid write" },
	{ "handle=STORAGE offset=0 len=0", 0, "a valid write" },
	{ "handle=STORAGE offset=0 len=1024", 0, "a valid write" }, /* two blocks at once */
	{ "handle=0 offset=0 len=512", 2, "not a block device" }, /* the reserved entry */
	{ "handle=2 offset=0 len=512", 2, "not a block device" },
	{ "handle=0x100000001 offset=0 len=512", 2, "not a block device" },
	{ "handle=STORAGE offset=0x10000 len=0", 2, "at or past the capacity" },
	{ "handle=STORAGE offset=0xfe00 len=1024", 2, "past the capacity" },
	{ "handle=STORAGE offset=0x200 len=-512", 2, "past SSIZE_MAX" },
	{ "handle=STORAGE offset=1 len=512", 2, "multiples of the block size" },
	{ "handle=STORAGE offset=0 len=511", 2, "multiples of the block size" },
};

static void test_einval(void **state)
{
	(void)state;
	struct hcf_abi *abi = mr_load_src(SPEC);
	for (size_t i = 0; i < sizeof(einval_cases) / sizeof(einval_cases[0]); i++) {
		const struct einval_case *c = &einval_cases[i];
		char text[256];
		snprintf(text, sizeof(text),
			 "buf d size=1024\nbuf w struct=hvt_hc_block_write data=&d %s\n"
			 "call BLOCK_WRITE arg=&w\n", c->fields);
		struct mr_run r;
		mr_run_model(&r, abi, text);
		struct hcf_model m;
		assert_int_equal(hcf_model_open(&m, abi, &r.ti), 0);
		struct hcf_expect e;
		m.ops->predict(m.st, abi, &r.p, 0, r.res.calls[0].before, &e);
		print_message("%s: ret %u (%s)\n", c->fields, ret_of(&r, 1), e.why ? e.why : "-");
		assert_int_equal(ret_of(&r, 1), c->ret);
		assert_non_null(strstr(e.why, c->why));
		assert_int_equal(e.nfields, 1);
		assert_int_equal(e.fields[0].offset, 32);
		assert_int_equal(e.fields[0].value, c->ret);
		hcf_model_close(&m);
		assert_int_equal(judge(&r, abi, NULL), HCF_V_PASS);
		mr_run_free(&r);
	}
	hcf_spec_free(abi);
}

/* The tender follows data only once the handle and the range passed: then
 * data + len outside guest memory must end the guest, before that it is
 * SOLO5_R_EINVAL like any other bad call. */
static void test_data_outside(void **state)
{
	(void)state;
	struct hcf_abi *abi = mr_load_src(SPEC);
	struct mr_run r;
	mr_run_model(&r, abi,
		     "buf w struct=hvt_hc_block_write handle=STORAGE offset=0 data=0x7fff00 "
		     "len=512\ncall BLOCK_WRITE arg=&w\n");
	assert_int_equal(r.res.calls[0].outcome, HCF_CO_GUEST_LOST);
	assert_int_equal(r.res.calls[0].lost_why, HCF_LIVE_REFUSED);
	assert_int_equal(judge(&r, abi, NULL), HCF_V_LOST);
	/* a tender that served it: the liveness oracle's FAIL */
	mr_as_returned(&r);
	assert_int_equal(judge(&r, abi, NULL), HCF_V_FAIL);
	assert_true(mr_has_issue(&r.cvs[0], "liveness", "outcome",
				 "expected the VMM to refuse the call (exit): data + len outside "
				 "guest memory"));
	assert_true(mr_has_issue(&r.cvs[0], "liveness", "outcome", "got: returned"));
	mr_run_free(&r);

	mr_run_model(&r, abi,
		     "buf w struct=hvt_hc_block_write handle=2 offset=0 data=0x7fff00 len=512\n"
		     "call BLOCK_WRITE arg=&w\n");
	assert_int_equal(r.res.calls[0].outcome, HCF_CO_RETURNED);
	assert_int_equal(ret_of(&r, 0), 2);
	mr_run_free(&r);
	hcf_spec_free(abi);
}

/* No network device: a network call has no handler and must refuse. */
static void test_net(void **state)
{
	(void)state;
	struct hcf_abi *abi = mr_load_src(SPEC);
	struct mr_run r;
	mr_run_model(&r, abi,
		     "buf d size=64\nbuf w struct=hvt_hc_net_write handle=STORAGE data=&d len=64\n"
		     "call NET_WRITE arg=&w\n");
	assert_int_equal(r.res.calls[0].lost_why, HCF_LIVE_REFUSED);
	assert_int_equal(judge(&r, abi, NULL), HCF_V_LOST);
	mr_as_returned(&r);
	assert_int_equal(judge(&r, abi, NULL), HCF_V_FAIL);
	assert_true(mr_has_issue(&r.cvs[0], "liveness", "outcome", "no network device"));

	/* with one (handle 2), a block device's handle is SOLO5_R_EINVAL */
	struct hcf_target_info ti = r.ti;
	ti.ndevices = 3;
	ti.devices[1] = (struct hcf_boot_device){ .type = HCF_DEV_BLOCK, .block_size = 512,
						  .capacity = 65536 };
	ti.devices[2] = (struct hcf_boot_device){ .type = HCF_DEV_NET, .mtu = 1500 };
	struct hcf_model m;
	assert_int_equal(hcf_model_open(&m, abi, &ti), 0);
	struct hcf_expect e;
	m.ops->predict(m.st, abi, &r.p, 0, r.res.calls[0].before, &e);
	assert_int_equal(e.ends, 0);
	assert_int_equal(e.nfields, 1);
	assert_int_equal(e.fields[0].value, 2);
	hcf_model_close(&m);
	mr_run_free(&r);
	hcf_spec_free(abi);
}

static void test_poll_walltime(void **state)
{
	(void)state;
	struct hcf_abi *abi = mr_load_src(SPEC);
	struct mr_run r;
	mr_run_model(&r, abi,
		     "buf p struct=hvt_hc_poll timeout_nsecs=1000 ready_set=5 ret=7\n"
		     "buf t struct=hvt_hc_walltime\n"
		     "call POLL arg=&p\ncall WALLTIME arg=&t\n");
	const uint8_t *p = buf_bytes(&r, 0);
	for (int k = 8; k < 20; k++)
		assert_int_equal(p[k], 0);
	/* the executor brackets a run with the host's clock */
	uint64_t nsecs = 0;
	for (int k = 8; k-- > 0;)
		nsecs = nsecs << 8 | buf_bytes(&r, 1)[k];
	r.res.realtime_ns[0] = nsecs - 1000;
	r.res.realtime_ns[1] = nsecs + 1000;
	assert_int_equal(judge(&r, abi, NULL), HCF_V_PASS);
	/* a clock two seconds off is no host's clock, a second is the slack */
	r.res.realtime_ns[0] = nsecs + 2000000000ull;
	r.res.realtime_ns[1] = nsecs + 2000001000ull;
	assert_int_equal(judge(&r, abi, NULL), HCF_V_FAIL);
	assert_true(mr_has_issue(&r.cvs[1], "model", NULL, "is not the host's clock"));
	r.res.realtime_ns[0] = nsecs + 900000000ull;
	r.res.realtime_ns[1] = nsecs + 900001000ull;
	assert_int_equal(judge(&r, abi, NULL), HCF_V_PASS);
	mr_run_free(&r);
	hcf_spec_free(abi);
}

/* The device's size from the target; its bytes across a forget. */
static void test_devices_and_forget(void **state)
{
	(void)state;
	struct hcf_abi *abi = mr_load_src(SPEC);
	struct hcf_prog p;
	memset(&p, 0, sizeof(p));
	mr_parse(&p, abi,
		 "buf d size=512 dir=out\n"
		 "buf r struct=hvt_hc_block_read handle=1 offset=0x10000 data=&d len=512\n"
		 "call BLOCK_READ arg=&r\n");
	struct hcf_target_info ti = { .ndevices = 2 };
	ti.devices[1] = (struct hcf_boot_device){ .type = HCF_DEV_BLOCK, .block_size = 4096,
						  .capacity = 1 << 20 };
	struct hcf_model m;
	struct hcf_expect e;
	struct hcf_layout l;
	char err[64];
	uint64_t regs[HCF_NGPR], entry;
	assert_int_equal(hcf_layout_place(&p, &l, err, sizeof(err)), 0);
	hcf_layout_call_image(&p, &l, 0, regs, &entry);

	/* 512 bytes at 64 KiB: inside the megabyte, but not a 4 KiB block */
	assert_int_equal(hcf_model_open(&m, abi, &ti), 0);
	m.ops->predict(m.st, abi, &p, 0, regs, &e);
	assert_non_null(strstr(e.why, "multiples of the block size"));
	hcf_model_close(&m);
	/* without devices, the solo5 target's 64 KiB: past the capacity */
	assert_int_equal(hcf_model_open(&m, abi, NULL), 0);
	m.ops->predict(m.st, abi, &p, 0, regs, &e);
	assert_non_null(strstr(e.why, "at or past the capacity"));
	hcf_model_close(&m);
	hcf_prog_free(&p);

	/* zeros after boot; after a forget only if the target's reset puts
	 * the devices back */
	mr_parse(&p, abi,
		 "buf d size=512 dir=out\n"
		 "buf r struct=hvt_hc_block_read handle=1 offset=0 data=&d len=512\n"
		 "call BLOCK_READ arg=&r\n");
	assert_int_equal(hcf_layout_place(&p, &l, err, sizeof(err)), 0);
	hcf_layout_call_image(&p, &l, 0, regs, &entry);
	ti.devices[1].block_size = 512;
	for (int reset = 0; reset < 2; reset++) {
		snprintf(ti.facts, sizeof(ti.facts), "%s", reset ? "devices=reset" : "");
		assert_int_equal(hcf_model_open(&m, abi, &ti), 0);
		m.ops->predict(m.st, abi, &p, 0, regs, &e);
		assert_int_equal(e.data_len, 512);
		assert_int_equal(e.data[0], 0);
		hcf_model_forget(&m);
		m.ops->predict(m.st, abi, &p, 0, regs, &e);
		assert_int_equal(e.data_len, reset ? 512 : 0);
		hcf_model_reset(&m);
		m.ops->predict(m.st, abi, &p, 0, regs, &e);
		assert_int_equal(e.data_len, 512);
		hcf_model_close(&m);
	}
	hcf_prog_free(&p);
	hcf_spec_free(abi);
}

/* What the tender did is what the device holds: a misaligned write that
 * came back SOLO5_R_OK (the contract says SOLO5_R_EINVAL) is followed, one
 * on a handle that names no device leaves its range unknown. */
static void test_observe_what_happened(void **state)
{
	(void)state;
	struct hcf_abi *abi = mr_load_src(SPEC);
	static const struct {
		const char *handle, *offset;
		uint32_t known_len;   /* what the read at 1024 then predicts */
		uint8_t first;
	} cases[] = {
		{ "STORAGE", "1024", 512, 0xa7 },
		{ "STORAGE", "1023", 512, 0xa7 },      /* shifted by one: byte 0 is the write's 2nd */
		{ "0x100000001", "1024", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text),
			 "buf src size=512 fill=0xa7\nbuf dst size=512 dir=out\n"
			 "buf w struct=hvt_hc_block_write handle=%s offset=%s data=&src len=512\n"
			 "buf r struct=hvt_hc_block_read handle=STORAGE offset=1024 data=&dst len=512\n"
			 "call BLOCK_WRITE arg=&w\ncall BLOCK_READ arg=&r\n",
			 cases[i].handle, cases[i].offset);
		struct mr_run r;
		mr_run_model(&r, abi, text);
		/* the tender's answer: it wrote */
		memset(r.res.bufs[2].bytes + HCF_BUF_GUARD + 32, 0, 4);
		struct hcf_model m;
		assert_int_equal(hcf_model_open(&m, abi, &r.ti), 0);
		m.ops->observe(m.st, abi, &r.p, 0, &r.res);
		struct hcf_expect e;
		m.ops->predict(m.st, abi, &r.p, 1, r.res.calls[1].before, &e);
		print_message("handle %s offset %s: %u bytes predicted\n", cases[i].handle,
			      cases[i].offset, e.data_len);
		assert_int_equal(e.data_len, cases[i].known_len);
		if (e.data_len)
			assert_int_equal(e.data[0], cases[i].first);
		hcf_model_close(&m);
		mr_run_free(&r);
	}
	hcf_spec_free(abi);
}

/* The whole plan on the model target, as hcfuzz conform runs it. */
static void test_plan_on_model(void **state)
{
	(void)state;
	struct hcf_abi *abi = mr_load_src(SPEC);
	struct hcf_test *tests;
	size_t n;
	assert_int_equal(hcf_plan_build(abi, NULL, &tests, &n), 0);
	struct hcf_target *t;
	struct hcf_model m;
	mr_open_model(abi, &t, &m);
	struct hcf_call_verdict cvs[4];
	struct hcf_prog_result res;
	hcf_result_init(&res, 0);
	size_t lost = 0, skip = 0;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(hcf_target_run(t, &tests[i].prog, &res), 0);
		enum hcf_verdict v = hcf_oracles_check(abi, &tests[i].prog, &res, &m,
						       t->ops->info(t), cvs);
		if (v == HCF_V_SKIP) {
			/* the status of a struct at a raw address, or past its buffer */
			assert_true(mr_has_issue(&cvs[0], "retval", NULL, "status not checked"));
			skip++;
			continue;
		}
		if (v != HCF_V_PASS && v != HCF_V_LOST)
			fail_msg("%s: %s: %s", tests[i].id, hcf_verdict_name(v),
				 cvs[0].nissues ? cvs[0].issues[0].reason : "");
		lost += v == HCF_V_LOST;
		hcf_model_reset(&m);
		assert_int_equal(t->ops->reset(t), 0);
	}
	print_message("%zu tests: %zu LOST, %zu SKIP\n", n, lost, skip);
	assert_true(lost > 0 && skip > 0 && skip < 16);
	hcf_result_free(&res);
	hcf_model_close(&m);
	hcf_target_close(t);
	hcf_tests_free(tests, n);
	hcf_spec_free(abi);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_write_read_back),
		cmocka_unit_test(test_einval),
		cmocka_unit_test(test_data_outside),
		cmocka_unit_test(test_net),
		cmocka_unit_test(test_poll_walltime),
		cmocka_unit_test(test_devices_and_forget),
		cmocka_unit_test(test_observe_what_happened),
		cmocka_unit_test(test_plan_on_model),
	};
	if (!mr_src_dir()) {
		print_message("SKIP: HCF_SOURCE_DIR is not set: the tests need specs/solo5-hvt.yaml\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
