/*
 * test_model_xen.c: the Xen models (classic "xen", "xen-fastabi") and the
 * requirement that makes an ABI not applicable on a hypervisor without it.
 *
 * - the models' predictions from the build a target reports (CPUID leaves),
 *   for numbers a kind of guest has no handler for, and for event channels,
 *   from a rebuilt guest and after the model forgets;
 * - the model oracle failing where the hypervisor answers otherwise (a
 *   register, an OUT field in a struct);
 * - the executor keeping the model's state across programs with buffers;
 * - requires: in the native language, the FastABI dialect's own, the check
 *   against a target, and a run on a Xen without the FastABI: no call made,
 *   every test SKIP, the reason printed once;
 * - the differential run: the same operations in both encodings on the
 *   model target give the same answers;
 * - specs/xen-fastabi/ is the fixtures' files, byte for byte.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exec/exec.h"
#include "exec/judged.h"
#include "exec/requires.h"
#include "exec/targets.h"
#include "oracles/models/model.h"
#include "oracles/models/model_xen.h"
#include "oracles/oracle.h"
#include "prog/plan.h"
#include "reports/report.h"
#include "util/fileio.h"

#include "model_run.h"

/* tests/fixtures/xen-evtchn.yaml: the classic calls the model follows, as
 * specs/xen.yaml declares them. */
#define CLASSIC "tests/fixtures/xen-evtchn.yaml"

static struct hcf_abi *load_classic(void)
{
	return mr_load_src(CLASSIC);
}

/* What a target reports about Xen: its signature and leaves base+1..+5 as
 * cpuid_hypervisor_leaves fills them for an HVM (PVH) or a PV dom0. */
static void ti_xen(struct hcf_target_info *ti, uint32_t version, bool pv, uint32_t hvm_extra)
{
	memset(ti, 0, sizeof(*ti));
	snprintf(ti->target, sizeof(ti->target), pv ? "xen-pv" : "xen-pvh");
	memcpy(ti->hv_signature, "XenVMMXenVMM", 13);
	ti->hv_cpuid_known = true;
	ti->hv_cpuid[0][0] = version;
	if (pv) {
		ti->hv_cpuid[4][1] = 44; /* machine address width */
	} else {
		/* Xen 4.17 under TCG: IOMMU mappings, vCPU id, domid, upcall vector */
		ti->hv_cpuid[3][0] = 0x5c | hvm_extra;
		ti->hv_cpuid[3][2] = 0; /* dom0 */
	}
}

static void test_table(void **state)
{
	assert_ptr_equal(hcf_model_find("xen"), &hcf_model_xen);
	assert_ptr_equal(hcf_model_find("xen-fastabi"), &hcf_model_xen_fastabi);
	assert_non_null(hcf_model_xen.forget);
	assert_non_null(hcf_model_xen_fastabi.observe);
}

static void test_build(void **state)
{
	struct hcf_target_info ti;
	struct xen_build b;
	ti_xen(&ti, 0x40011, false, 0);
	xen_build_from(&b, &ti);
	assert_true(b.known);
	assert_int_equal(b.version, 0x40011);
	assert_int_equal(b.guest, XEN_GUEST_HVM);
	assert_true(b.domid_known);
	assert_int_equal(b.domid, 0);
	ti_xen(&ti, 0x40011, true, 0);
	xen_build_from(&b, &ti);
	assert_int_equal(b.guest, XEN_GUEST_PV);
	assert_false(b.domid_known);
	memcpy(ti.hv_signature, "KVMKVMKVM\0\0\0", 13);
	xen_build_from(&b, &ti);
	assert_false(b.known);
	xen_build_from(&b, NULL);
	assert_false(b.known);
}

/* ---- running programs on the model target ------------------------------ */

/* Judge r with a model of the ABI's opened on the target's info (what the
 * model target's own model saw). */
static enum hcf_verdict judge(struct mr_run *r, const struct hcf_abi *abi,
			      const struct hcf_target_info *ti)
{
	struct hcf_model m;
	assert_int_equal(hcf_model_open(&m, abi, ti), 0);
	assert_false(m.fell_back);
	r->worst = hcf_oracles_check(abi, &r->p, &r->res, &m, ti, r->cvs);
	hcf_model_close(&m);
	return r->worst;
}

static uint64_t le(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 8 | b[n];
	return v;
}

/* Bytes of buffer b at off after the run. */
static uint64_t buf_at(const struct mr_run *r, size_t b, uint32_t off, unsigned n)
{
	assert_true(b < r->res.nbufs && r->res.bufs[b].valid);
	return le(r->res.bufs[b].bytes + HCF_BUF_GUARD + off, n);
}

#define NEG(e) ((uint64_t)-(int64_t)(e))

/* One buffer per call, so that every OUT field is the answer of one call. */
static const char classic_events[] =
	"buf a1 struct=evtchn_alloc_unbound dom=0x7ff0 remote_dom=0\n"
	"buf a2 struct=evtchn_alloc_unbound dom=0x7ff0 remote_dom=7\n"
	"buf s1 struct=evtchn_status dom=0x7ff0 port=1\n"
	"buf c1 struct=evtchn_close port=1\n"
	"buf c2 struct=evtchn_close port=1\n"
	"buf s2 struct=evtchn_status dom=0x7ff0 port=1\n"
	"buf s63 struct=evtchn_status dom=0x7ff0 port=63\n"
	"buf s64 struct=evtchn_status dom=0x7ff0 port=64\n"
	"buf c0 struct=evtchn_close port=0\n"
	"buf s0 struct=evtchn_status dom=0x7ff0 port=0\n"
	"buf a3 struct=evtchn_alloc_unbound dom=0x7ff0 remote_dom=0\n"
	"buf s3 struct=evtchn_status dom=0x7ff0 port=2\n"
	"call event_channel_op.alloc_unbound arg=&a1\n" /* 0: port 1 */
	"call event_channel_op.alloc_unbound arg=&a2\n" /* 1: port 2 */
	"call event_channel_op.status arg=&s1\n"        /* 2: unbound */
	"call event_channel_op.close arg=&c1\n"         /* 3: 0 */
	"call event_channel_op.close arg=&c2\n"         /* 4: -EINVAL */
	"call event_channel_op.status arg=&s2\n"        /* 5: closed */
	"call event_channel_op.status arg=&s63\n"       /* 6: closed, first bucket */
	"call event_channel_op.status arg=&s64\n"       /* 7: -EINVAL, past it */
	"call event_channel_op.close arg=&c0\n"         /* 8: -EINVAL, reserved */
	"call event_channel_op.status arg=&s0\n"        /* 9: closed */
	"call event_channel_op.alloc_unbound arg=&a3\n" /* 10: port 1 again */
	"call event_channel_op.status arg=&s3\n"        /* 11: unbound to 7 */
	"call sched_op.yield arg=0\n"                   /* 12: 0 */
	"call xen_version.pagesize arg=0\n"             /* 13: 4096 */
	"call xen_version.pagesize arg=1\n"             /* 14: -EINVAL */
	"call nr=0x99\n";                               /* 15: -ENOSYS */

/* The model target answers what the model predicts from a rebuilt guest:
 * what evtchn_init, get_free_port, evtchn_close and evtchn_status give
 * (the same answers Xen 4.17 gave on the xen-pvh target). */
static void test_classic_events(void **state)
{
	struct hcf_abi *abi = load_classic();
	struct mr_run r;
	mr_run_model(&r, abi, classic_events);
	static const int64_t rax[] = { 0, 0, 0, 0, -22, 0, 0, -22, -22, 0, 0, 0, 0, 4096, -22, -38 };
	assert_int_equal(r.res.ncalls, sizeof(rax) / sizeof(rax[0]));
	for (size_t i = 0; i < r.res.ncalls; i++) {
		assert_int_equal(r.res.calls[i].outcome, HCF_CO_RETURNED);
		if (r.res.calls[i].after[HCF_RAX] != (uint64_t)rax[i])
			fail_msg("call %zu: rax 0x%llx, expected %lld", i,
				 (unsigned long long)r.res.calls[i].after[HCF_RAX], (long long)rax[i]);
	}
	assert_int_equal(buf_at(&r, 0, 4, 4), 1);  /* a1.port */
	assert_int_equal(buf_at(&r, 1, 4, 4), 2);  /* a2.port */
	assert_int_equal(buf_at(&r, 2, 8, 4), 1);  /* s1.status: unbound */
	assert_int_equal(buf_at(&r, 2, 12, 4), 0); /* s1.vcpu */
	assert_int_equal(buf_at(&r, 5, 8, 4), 0);  /* s2.status: closed */
	assert_int_equal(buf_at(&r, 10, 4, 4), 1); /* a3.port: the freed port again */
	assert_int_equal(buf_at(&r, 11, 8, 4), 1); /* s3: unbound */
	assert_int_equal(buf_at(&r, 11, 16, 2), 7); /* u.unbound.dom */
	/* and the model, judging what its own prediction produced, agrees */
	assert_int_equal(judge(&r, abi, &r.ti), HCF_V_PASS);
	mr_run_free(&r);
	hcf_spec_free(abi);
}

/* The model oracle fails where the hypervisor answers otherwise, in a
 * register or in a struct's OUT field. */
static void test_classic_deviations(void **state)
{
	struct hcf_abi *abi = load_classic();
	struct mr_run r;
	mr_run_model(&r, abi, classic_events);

	r.res.calls[4].after[HCF_RAX] = 0; /* closing a closed port "succeeds" */
	assert_int_equal(judge(&r, abi, &r.ti), HCF_V_FAIL);
	assert_true(mr_has_issue(&r.cvs[4], "model", "rax", "evtchn_close"));
	r.res.calls[4].after[HCF_RAX] = NEG(22);

	r.res.bufs[0].bytes[HCF_BUF_GUARD + 4] = 5; /* the first port is 5 */
	assert_int_equal(judge(&r, abi, &r.ti), HCF_V_FAIL);
	assert_true(mr_has_issue(&r.cvs[0], "model", NULL, "evtchn_alloc_unbound.port"));
	assert_int_equal(r.cvs[0].issues[0].loc.kind, HCF_LOC_FIELD);
	assert_int_equal(r.cvs[0].issues[0].expected, 1);
	assert_int_equal(r.cvs[0].issues[0].got, 5);
	r.res.bufs[0].bytes[HCF_BUF_GUARD + 4] = 1;

	r.res.calls[7].after[HCF_RAX] = 0; /* port 64 is valid */
	assert_int_equal(judge(&r, abi, &r.ti), HCF_V_FAIL);
	assert_true(mr_has_issue(&r.cvs[7], "model", "rax", "valid buckets"));
	r.res.calls[7].after[HCF_RAX] = NEG(22);

	r.res.bufs[2].bytes[HCF_BUF_GUARD + 8] = 0; /* an allocated port reads closed */
	assert_int_equal(judge(&r, abi, &r.ti), HCF_V_FAIL);
	assert_true(mr_has_issue(&r.cvs[2], "model", NULL, "evtchn_status.status"));
	r.res.bufs[2].bytes[HCF_BUF_GUARD + 8] = 1;

	assert_int_equal(judge(&r, abi, &r.ti), HCF_V_PASS);
	mr_run_free(&r);
	hcf_spec_free(abi);
}

/* Forgotten state: nothing about ports but what holds in any state, then
 * learning again from the answers. */
static void test_forget(void **state)
{
	struct xen_evtchns *ev = calloc(1, sizeof(*ev));
	assert_non_null(ev);
	struct xen_build b;
	struct hcf_target_info ti;
	ti_xen(&ti, 0x40011, false, 0);
	xen_build_from(&b, &ti);
	struct xen_errnos en;
	xen_errnos_from(&en, NULL);
	struct xen_evop op;

	xen_ev_forget(ev);
	memset(&op, 0, sizeof(op));
	op.in_known = true;
	op.dom = XEN_DOMID_SELF;
	xen_ev_predict_alloc(ev, &b, &en, &op);
	assert_false(op.rc_known); /* which port is lowest free: not known */

	op.port = 0;
	xen_ev_predict_close(ev, &b, &en, &op);
	assert_true(op.rc_known);
	assert_int_equal(op.rc, -22); /* port 0 is always reserved */
	op.port = 1u << 17;
	xen_ev_predict_status(ev, &b, &en, &op);
	assert_true(op.rc_known);
	assert_int_equal(op.rc, -22); /* no port is valid past the FIFO ABI's */
	op.port = 3;
	xen_ev_predict_status(ev, &b, &en, &op);
	assert_false(op.rc_known);

	/* Xen hands out port 5: 1..4 are in use, 5 is unbound */
	op.rc_known = op.port_known = true;
	op.rc = 0;
	op.out_port = 5;
	op.remote = 0;
	xen_ev_saw_alloc(ev, &b, &en, &op);
	op.port = 5;
	xen_ev_predict_close(ev, &b, &en, &op);
	assert_true(op.rc_known);
	assert_int_equal(op.rc, 0);
	op.port = 3;
	xen_ev_predict_close(ev, &b, &en, &op);
	assert_false(op.rc_known); /* in use, but by what */
	xen_ev_predict_alloc(ev, &b, &en, &op);
	assert_false(op.rc_known); /* 6 and above: not seen */

	/* closing 5 makes it the lowest free port */
	op.port = 5;
	op.rc_known = true;
	op.rc = 0;
	xen_ev_saw_close(ev, &b, &en, &op);
	xen_ev_predict_alloc(ev, &b, &en, &op);
	assert_true(op.rc_known && op.port_known);
	assert_int_equal(op.out_port, 5);
	op.port = 5;
	xen_ev_predict_close(ev, &b, &en, &op);
	assert_int_equal(op.rc, -22);
	xen_ev_predict_status(ev, &b, &en, &op);
	assert_true(op.status_known);
	assert_int_equal(op.status, XEN_EVTCHNSTAT_CLOSED);

	/* a status of -EINVAL bounds the valid ports */
	op.port = 200;
	op.rc = -22;
	xen_ev_saw_status(ev, &b, &en, &op);
	op.port = 300;
	xen_ev_predict_close(ev, &b, &en, &op);
	assert_true(op.rc_known);
	assert_int_equal(op.rc, -22);

	/* a call that may open channels behind the model's back */
	xen_ev_saw_other(ev, &en, XEN_HC_EVENT_CHANNEL_OP, true, 0);
	op.port = 5;
	xen_ev_predict_close(ev, &b, &en, &op);
	assert_false(op.rc_known);
	/* one that answered -ENOSYS did nothing */
	xen_ev_boot(ev, &b);
	xen_ev_saw_other(ev, &en, XEN_HC_DM_OP, true, -38);
	xen_ev_predict_alloc(ev, &b, &en, &op);
	assert_true(op.port_known);
	assert_int_equal(op.out_port, 1);
	/* the agent's wake-up event holds a port from boot on: the first
	 * allocation passes it by, and what a program does to it is not
	 * predicted */
	b.wake_port = 1;
	xen_ev_boot(ev, &b);
	xen_ev_predict_alloc(ev, &b, &en, &op);
	assert_true(op.port_known);
	assert_int_equal(op.out_port, 2);
	op.port = 1;
	xen_ev_predict_close(ev, &b, &en, &op);
	assert_false(op.rc_known);
	xen_ev_predict_status(ev, &b, &en, &op);
	assert_false(op.rc_known);
	b.wake_port = 0;
	/* another domain's channels are not the model's */
	op.dom = 3;
	xen_ev_predict_alloc(ev, &b, &en, &op);
	assert_false(op.rc_known);
	free(ev);
}

/* The model's state follows the guest across programs: the executor does not
 * reset it after a program that only had buffers (the guest goes on), and
 * the second program's close is predicted from the first's allocation. */
static void test_exec_keeps_state(void **state)
{
	struct hcf_abi *abi = load_classic();
	struct hcf_test tests[3];
	memset(tests, 0, sizeof(tests));
	static const char alloc[] = "buf a struct=evtchn_alloc_unbound dom=0x7ff0 remote_dom=0\n"
				    "call event_channel_op.alloc_unbound arg=&a\n";
	static const char close1[] = "buf c struct=evtchn_close port=1\n"
				     "call event_channel_op.close arg=&c\n";
	const char *texts[3] = { alloc, close1, close1 };
	for (size_t i = 0; i < 3; i++) {
		snprintf(tests[i].id, sizeof(tests[i].id), "t%zu", i);
		snprintf(tests[i].group, sizeof(tests[i].group), "g");
		mr_parse(&tests[i].prog, abi, texts[i]);
	}
	struct hcf_target *t;
	struct hcf_model m;
	mr_open_model(abi, &t, &m);
	struct hcf_exec_stats st;
	assert_int_equal(hcf_exec_tests(t, abi, &m, tests, 3, NULL, NULL, NULL, &st), 0);
	/* the model target's Xen freed port 1, then refused it: had the
	 * model been reset between the programs it would have predicted
	 * -EINVAL for the first close */
	assert_int_equal(st.tally.n[HCF_V_PASS], 3);
	assert_false(st.not_applicable);
	hcf_model_close(&m);
	hcf_target_close(t);
	for (size_t i = 0; i < 3; i++)
		hcf_prog_free(&tests[i].prog);
	hcf_spec_free(abi);
}

static void predict_one(const struct hcf_abi *abi, const struct hcf_target_info *ti,
			const char *text, struct hcf_expect *e)
{
	struct hcf_prog p;
	mr_parse(&p, abi, text);
	struct hcf_model m;
	assert_int_equal(hcf_model_open(&m, abi, ti), 0);
	uint64_t before[HCF_NGPR];
	memcpy(before, p.calls[0].gpr, sizeof(before));
	memset(e, 0xa5, sizeof(*e));
	m.ops->predict(m.st, abi, &p, 0, before, e);
	hcf_model_close(&m);
	hcf_prog_free(&p);
}

static void expect_rax(const struct hcf_expect *e, uint64_t v)
{
	assert_true(e->known & HCF_REGBIT(HCF_RAX));
	assert_int_equal(e->gpr[HCF_RAX], v);
}

/* xen_version from the build, and -ENOSYS where the kind of guest has no
 * handler (hypercall-defs.c). */
static void test_version_and_numbers(void **state)
{
	struct hcf_abi *abi = load_classic();
	struct hcf_target_info hvm, pv;
	ti_xen(&hvm, 0x40011, false, 0);
	ti_xen(&pv, 0x40011, true, 0);
	struct hcf_expect e;

	predict_one(abi, &hvm, "call xen_version.version arg=0\n", &e);
	expect_rax(&e, 0x40011);
	predict_one(abi, &pv, "call xen_version.version arg=0\n", &e);
	expect_rax(&e, 0x40011);
	ti_xen(&hvm, 0x4000a, false, 0);
	predict_one(abi, &hvm, "call xen_version.version arg=0\n", &e);
	expect_rax(&e, 0x4000a);
	predict_one(abi, NULL, "call xen_version.version arg=0\n", &e);
	assert_false(e.known & HCF_REGBIT(HCF_RAX)); /* no build to read it from */

	predict_one(abi, &hvm, "call set_trap_table table=0\n", &e);
	expect_rax(&e, NEG(38));
	predict_one(abi, &pv, "call set_trap_table table=0\n", &e);
	assert_false(e.known & HCF_REGBIT(HCF_RAX)); /* a PV guest's call */
	predict_one(abi, NULL, "call set_trap_table table=0\n", &e);
	assert_false(e.known & HCF_REGBIT(HCF_RAX)); /* which kind of guest: unknown */
	predict_one(abi, &hvm, "call mca op=0\n", &e);
	expect_rax(&e, NEG(38));
	predict_one(abi, &pv, "call mca op=0\n", &e);
	assert_false(e.known & HCF_REGBIT(HCF_RAX));
	predict_one(abi, NULL, "call tmem_op op=0\n", &e);
	expect_rax(&e, NEG(38)); /* no handler in any column */
	/* the whole of rax is the number: not xen_version */
	predict_one(abi, &hvm, "call xen_version.version override rax=0x100000011 arg=0\n", &e);
	expect_rax(&e, NEG(38));
	hcf_spec_free(abi);

	/* Through the hypercall page the entry's stub loads the number with a
	 * 32-bit move: garbage above the spec's width never reaches Xen. */
	abi = mr_load_variant(CLASSIC, "transport: native\ncall_number: {reg: rax}\n",
			   "transport: {kind: hypercall_page, msr: 0x40000000}\n"
			   "call_number: {reg: eax}\n");
	predict_one(abi, &pv, "call xen_version.version override rax=0x5e5e000000000011 arg=0\n",
		    &e);
	expect_rax(&e, 0x40011);
	hcf_spec_free(abi);
}

/* ---- the FastABI ----------------------------------------------------------- */

static const char fastabi_events[] =
	"call event_channel.alloc_unbound dom=0x7ff0 remote_dom=0\n"
	"call event_channel.alloc_unbound dom=0x7ff0 remote_dom=7\n"
	"call event_channel.status dom=0x7ff0 port=1\n"
	"call event_channel.close port=1\n"
	"call event_channel.close port=1\n"
	"call event_channel.status dom=0x7ff0 port=1\n"
	"call event_channel.status dom=0x7ff0 port=63\n"
	"call event_channel.status dom=0x7ff0 port=64\n"
	"call event_channel.close port=0\n"
	"call event_channel.status dom=0x7ff0 port=0\n"
	"call event_channel.alloc_unbound dom=0x7ff0 remote_dom=0\n"
	"call event_channel.status dom=0x7ff0 port=2\n"
	"call sched.yield\n";

static void test_fastabi_model(void **state)
{
	struct hcf_abi *abi = mr_load_src("specs/xen-fastabi");
	assert_non_null(abi->model);
	assert_string_equal(abi->model, "xen-fastabi");
	struct hcf_target_info ti;
	ti_xen(&ti, 0x40011, false, XEN_HVM_CPUID_FASTABI);
	struct hcf_expect e;
	predict_one(abi, &ti, "call version.version\n", &e);
	expect_rax(&e, 0x40011);
	predict_one(abi, &ti, "call event_channel.alloc_unbound dom=0x7ff0 remote_dom=0\n", &e);
	expect_rax(&e, 0);
	assert_true(e.known & HCF_REGBIT(HCF_R9)); /* reg4: port */
	assert_int_equal(e.gpr[HCF_R9], 1);
	/* a domid that does not fit domid_t: the RFC does not say */
	predict_one(abi, &ti, "call event_channel.alloc_unbound dom=0x17ff0 remote_dom=0\n", &e);
	assert_false(e.known & HCF_REGBIT(HCF_RAX));
	/* no FastABI mask: a classic call, not this model's */
	predict_one(abi, &ti, "call rax=0x11 rdi=0\n", &e);
	assert_int_equal(e.outcome, HCF_EXP_UNKNOWN);
	assert_int_equal(e.known, 0);

	struct mr_run r;
	mr_run_model(&r, abi, fastabi_events);
	assert_int_equal(r.res.calls[0].after[HCF_R9], 1);
	assert_int_equal(r.res.calls[1].after[HCF_R9], 2);
	assert_int_equal(r.res.calls[2].after[HCF_R9], XEN_EVTCHNSTAT_UNBOUND);
	assert_int_equal(r.res.calls[4].after[HCF_RAX], NEG(22));
	assert_int_equal(judge(&r, abi, &r.ti), HCF_V_PASS);
	r.res.calls[0].after[HCF_R9] = 3;
	assert_int_equal(judge(&r, abi, &r.ti), HCF_V_FAIL);
	assert_true(mr_has_issue(&r.cvs[0], "model", "r9", "lowest free port"));
	mr_run_free(&r);
	hcf_spec_free(abi);
}

/* What one operation answered, whatever the encoding. */
struct answer {
	int64_t rc;
	bool has_port, has_status;
	uint64_t port, status, vcpu;
};

/*
 * The differential run: the same twelve event-channel operations, in the
 * classic encoding (structs in guest memory) and the FastABI's (registers),
 * each on the model target with its own model; the answers must be the same
 * call by call, and each run must pass its own oracles.
 */
static void test_differential(void **state)
{
	struct hcf_abi *classic = load_classic();
	struct hcf_abi *fast = mr_load_src("specs/xen-fastabi");
	struct mr_run rc, rf;
	mr_run_model(&rc, classic, classic_events);
	mr_run_model(&rf, fast, fastabi_events);
	assert_int_equal(judge(&rc, classic, &rc.ti), HCF_V_PASS);
	assert_int_equal(judge(&rf, fast, &rf.ti), HCF_V_PASS);
	/* classic call i has its struct in buffer i; the FastABI's program has
	 * the same operations in the same order */
	static const struct {
		char kind; /* a: alloc, s: status, c: close, y: yield */
	} ops[] = { { 'a' }, { 'a' }, { 's' }, { 'c' }, { 'c' }, { 's' }, { 's' }, { 's' },
		    { 'c' }, { 's' }, { 'a' }, { 's' }, { 'y' } };
	size_t n = sizeof(ops) / sizeof(ops[0]);
	assert_int_equal(rf.res.ncalls, n);
	size_t allocs = 0, statuses = 0;
	for (size_t i = 0; i < n; i++) {
		size_t ci = ops[i].kind == 'y' ? 12 : i; /* classic call 12 is sched_op.yield */
		struct answer a = { .rc = (int64_t)rc.res.calls[ci].after[HCF_RAX] };
		struct answer b = { .rc = (int64_t)rf.res.calls[i].after[HCF_RAX] };
		if (ops[i].kind == 'a' && a.rc == 0) {
			a.has_port = b.has_port = true;
			a.port = buf_at(&rc, i, 4, 4);
			b.port = rf.res.calls[i].after[HCF_R9];
			allocs++;
		}
		if (ops[i].kind == 's' && a.rc == 0) {
			a.has_status = b.has_status = true;
			a.status = buf_at(&rc, i, 8, 4);
			a.vcpu = buf_at(&rc, i, 12, 4);
			b.status = rf.res.calls[i].after[HCF_R9];
			b.vcpu = rf.res.calls[i].after[HCF_R10];
			statuses++;
		}
		if (a.rc != b.rc || a.port != b.port || a.status != b.status || a.vcpu != b.vcpu)
			fail_msg("operation %zu (%c): classic rc %lld port %llu status %llu vcpu %llu, "
				 "FastABI rc %lld port %llu status %llu vcpu %llu",
				 i, ops[i].kind, (long long)a.rc, (unsigned long long)a.port,
				 (unsigned long long)a.status, (unsigned long long)a.vcpu,
				 (long long)b.rc, (unsigned long long)b.port,
				 (unsigned long long)b.status, (unsigned long long)b.vcpu);
	}
	/* the comparison compared something */
	assert_int_equal(allocs, 3);
	assert_int_equal(statuses, 5);
	mr_run_free(&rc);
	mr_run_free(&rf);
	hcf_spec_free(classic);
	hcf_spec_free(fast);
}

/* ---- requirements ------------------------------------------------------------ */

static const char *load_error(const char *text)
{
	static char msg[512];
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load_buffer("req.yaml", text, strlen(text), &abi, &d) == 0) {
		hcf_spec_free(abi);
		return NULL;
	}
	FILE *f = fmemopen(msg, sizeof(msg), "w");
	assert_non_null(f);
	hcf_diags_print(&d, f);
	fclose(f);
	msg[sizeof(msg) - 1] = '\0';
	return msg;
}

static const char req_head[] =
	"hcfuzz_spec: 1\nabi: r\ntransport: native\ncall_number: {reg: rax}\n"
	"calls: [{name: a, nr: 1}]\nrequires:\n";

static void test_requires_language(void **state)
{
	char text[1024];
	snprintf(text, sizeof(text), "%s%s", req_head,
		 "  - feature: XEN_HVM_CPUID_FASTABI\n"
		 "    hypervisor: XenVMMXenVMM\n"
		 "    cpuid: {leaf: 4, reg: eax, mask: 0x80}\n"
		 "    doc: \"the RFC's fastabi.pandoc\"\n"
		 "  - {feature: TWO, cpuid: {leaf: 1, reg: edx, mask: 0xff00, value: 0x0400}}\n");
	struct hcf_abi *abi = mr_load_text("req.yaml", text);
	assert_int_equal(abi->nrequires, 2);
	const struct hcf_requirement *r = &abi->requires[0];
	assert_string_equal(r->feature, "XEN_HVM_CPUID_FASTABI");
	assert_string_equal(r->signature, "XenVMMXenVMM");
	assert_string_equal(r->doc, "the RFC's fastabi.pandoc");
	assert_int_equal(r->leaf, 4);
	assert_int_equal(r->reg, 0);
	assert_int_equal(r->mask, 0x80);
	assert_int_equal(r->value, 0x80);
	assert_int_equal(r->pos.line, 7);
	assert_string_equal(abi->requires[1].signature, "");
	assert_int_equal(abi->requires[1].reg, 3);
	assert_int_equal(abi->requires[1].value, 0x400);
	hcf_spec_free(abi);

	static const struct {
		const char *item, *msg;
	} bad[] = {
		{ "  - {feature: X, cpuid: {leaf: 0, reg: eax, mask: 1}}\n", "7:32: error: leaf 0" },
		{ "  - {feature: X, cpuid: {leaf: 6, reg: eax, mask: 1}}\n", "leaf 6" },
		{ "  - {feature: X, cpuid: {leaf: 1, reg: rax, mask: 1}}\n", "reg 'rax'" },
		{ "  - {feature: X, cpuid: {leaf: 1, reg: eax, mask: 0}}\n", "a mask of 0" },
		{ "  - {feature: X, cpuid: {leaf: 1, reg: eax, mask: 1, value: 2}}\n",
		  "outside mask" },
		{ "  - {feature: X, cpuid: {leaf: 1, reg: eax}}\n", "missing required key 'mask'" },
		{ "  - {cpuid: {leaf: 1, reg: eax, mask: 1}}\n", "missing required key 'feature'" },
		{ "  - {feature: X, hypervisor: XenVMMXenVMMX, cpuid: {leaf: 1, reg: eax, mask: 1}}\n",
		  "12 characters" },
		{ "  - {feature: X, bit: 3, cpuid: {leaf: 1, reg: eax, mask: 1}}\n",
		  "unknown key 'bit'" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", req_head, bad[i].item);
		const char *msg = load_error(text);
		if (!msg || !strstr(msg, bad[i].msg))
			fail_msg("case %zu: expected '%s', got %s", i, bad[i].msg, msg ? msg : "(loaded)");
	}
}

/* The FastABI dialect states the RFC's requirement itself. */
static void test_fastabi_requirement(void **state)
{
	struct hcf_abi *abi = mr_load_src("tests/fixtures/xen-fastabi");
	assert_int_equal(abi->nrequires, 1);
	const struct hcf_requirement *r = &abi->requires[0];
	assert_string_equal(r->feature, "XEN_HVM_CPUID_FASTABI");
	assert_string_equal(r->signature, "XenVMMXenVMM");
	assert_int_equal(r->leaf, 4);
	assert_int_equal(r->reg, 0);
	assert_int_equal(r->mask, 0x80);
	assert_int_equal(r->value, 0x80);
	assert_non_null(strstr(r->doc, "fastabi.pandoc"));
	hcf_spec_free(abi);
	/* a single file of the dialect too */
	abi = mr_load_src("tests/fixtures/xen-fastabi/version.yml");
	assert_int_equal(abi->nrequires, 1);
	hcf_spec_free(abi);
}

static void test_requirements_check(void **state)
{
	struct hcf_abi *abi = mr_load_src("specs/xen-fastabi");
	struct hcf_target_info ti;
	char why[256];
	const char *doc;

	ti_xen(&ti, 0x40011, false, 0); /* Xen 4.17: no FastABI */
	assert_int_equal(hcf_requirements_check(abi, &ti, why, sizeof(why), &doc), HCF_REQ_ABSENT);
	assert_non_null(strstr(why, "XEN_HVM_CPUID_FASTABI is not set"));
	assert_non_null(strstr(why, "CPUID 0x40000004 eax = 0x0000005c"));
	assert_non_null(doc);

	ti_xen(&ti, 0x40014, false, XEN_HVM_CPUID_FASTABI);
	assert_int_equal(hcf_requirements_check(abi, &ti, why, sizeof(why), &doc), HCF_REQ_MET);
	assert_string_equal(why, "");

	ti_xen(&ti, 0x40011, true, 0); /* PV: Xen leaves leaf 4 empty */
	assert_int_equal(hcf_requirements_check(abi, &ti, why, sizeof(why), &doc), HCF_REQ_ABSENT);

	ti_xen(&ti, 0x40011, false, XEN_HVM_CPUID_FASTABI);
	memcpy(ti.hv_signature, "KVMKVMKVM\0\0\0", 13);
	assert_int_equal(hcf_requirements_check(abi, &ti, why, sizeof(why), &doc), HCF_REQ_ABSENT);
	assert_non_null(strstr(why, "\"KVMKVMKVM\""));

	ti.hv_cpuid_known = false;
	assert_int_equal(hcf_requirements_check(abi, &ti, why, sizeof(why), &doc),
			 HCF_REQ_UNCHECKED);
	assert_non_null(strstr(why, "not checked"));
	hcf_spec_free(abi);

	abi = load_classic(); /* requires nothing */
	assert_int_equal(hcf_requirements_check(abi, NULL, why, sizeof(why), &doc), HCF_REQ_MET);
	hcf_spec_free(abi);
}

/* A target standing for Xen: the model target's answers, with the info of a
 * Xen that has (or lacks) the FastABI; counts the programs it runs. */
struct fake_xen {
	struct hcf_target base;
	struct hcf_target *inner;
	struct hcf_target_info info;
	size_t runs;
};

static int fx_run(struct hcf_target *t, const struct hcf_prog *p, struct hcf_prog_result *r)
{
	struct fake_xen *fx = (struct fake_xen *)t;
	fx->runs++;
	return hcf_target_run(fx->inner, p, r);
}

static int fx_reset(struct hcf_target *t)
{
	struct fake_xen *fx = (struct fake_xen *)t;
	return fx->inner->ops->reset(fx->inner);
}

static const struct hcf_target_info *fx_info(struct hcf_target *t)
{
	return &((struct fake_xen *)t)->info;
}

static const struct hcf_target_ops fake_xen_ops = {
	.name = "fake-xen", .run = fx_run, .reset = fx_reset, .info = fx_info,
};

struct seen {
	size_t n, skip, with_reason;
};

static void on_test(void *ctx, size_t i, const struct hcf_test *t, const struct hcf_test_outcome *o)
{
	struct seen *s = ctx;
	s->n++;
	s->skip += o->v == HCF_V_SKIP;
	for (size_t k = 0; o->cvs && k < (t->prog.ncalls ? t->prog.ncalls : 1); k++)
		if (mr_has_issue(&o->cvs[k], "requires", NULL, "XEN_HVM_CPUID_FASTABI is not set"))
			s->with_reason++;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The FastABI's plan on a Xen without it: no program reaches the target,
 * every test is SKIP with the reason on every call, the summary says why
 * once; with the bit set the same plan runs. */
static void test_not_applicable_run(void **state)
{
	struct hcf_abi *abi = mr_load_src("specs/xen-fastabi");
	struct hcf_test *tests = NULL;
	size_t n = 0;
	struct hcf_plan_opts popts = { 0 };
	assert_int_equal(hcf_plan_build(abi, &popts, &tests, &n), 0);
	assert_true(n > 100);
	size_t calls = 0;
	for (size_t i = 0; i < n; i++)
		calls += tests[i].prog.ncalls;

	struct fake_xen fx = { .base = { .ops = &fake_xen_ops, .abi = abi } };
	struct hcf_target_opts opts = { 0 };
	char err[256];
	assert_int_equal(hcf_target_open("model", &fx.inner, abi, &opts, err, sizeof(err)), 0);
	ti_xen(&fx.info, 0x40011, false, 0);
	struct hcf_model m;
	assert_int_equal(hcf_model_open(&m, abi, &fx.info), 0);
	struct seen seen = { 0 };
	struct hcf_exec_stats st;
	assert_int_equal(hcf_exec_tests(&fx.base, abi, &m, tests, n, NULL, on_test, &seen, &st), 0);
	assert_int_equal(fx.runs, 0);
	assert_true(st.not_applicable);
	assert_int_equal(st.tests, n);
	assert_int_equal(st.calls, 0);
	assert_int_equal(st.calls_not_applicable, calls);
	assert_int_equal(st.tally.n[HCF_V_SKIP], n);
	assert_int_equal(seen.n, n);
	assert_int_equal(seen.skip, n);
	assert_int_equal(seen.with_reason, calls);

	/* the terminal summary: the reason once, no list of SKIPs */
	struct hcf_report_summary *sum = hcf_report_summary_new(abi);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	for (size_t i = 0; i < n; i++) {
		/* fed again, as conform's callback does */
		struct hcf_call_verdict cv;
		hcf_call_verdict_init(&cv);
		hcf_call_verdict_add(&cv, HCF_V_SKIP, "requires", NULL, "not applicable: %s",
				     st.requirement);
		struct hcf_prog_result empty;
		memset(&empty, 0, sizeof(empty));
		struct hcf_test_outcome o = { .v = HCF_V_SKIP, .res = &empty, .cvs = &cv };
		struct hcf_test one = tests[i];
		one.prog.ncalls = 1;
		hcf_report_summary_add(sum, &one, &o);
	}
	hcf_report_summary_print(sum, f, &st);
	fclose(f);
	assert_int_equal(count(text, "XEN_HVM_CPUID_FASTABI is not set"), 1);
	assert_int_equal(count(text, "not applicable"), 2); /* the reason, the call count */
	assert_null(strstr(text, tests[0].id));
	free(text);
	hcf_report_summary_free(sum);

	/* one program run and judged (hcfuzz run, fuzzing): not run either */
	struct hcf_judged j;
	hcf_judged_init(&j);
	assert_int_equal(hcf_run_judged(&fx.base, &m, &tests[0].prog, HCF_RUN_FROM_BOOT, NULL, &j),
			 HCF_V_SKIP);
	assert_int_equal(fx.runs, 0);
	assert_int_equal(j.res.ncalls, tests[0].prog.ncalls);
	for (size_t k = 0; k < tests[0].prog.ncalls; k++) {
		assert_int_equal(j.res.calls[k].outcome, HCF_CO_NOT_RUN);
		assert_true(mr_has_issue(&j.cvs[k], "requires", "abi", "XEN_HVM_CPUID_FASTABI"));
	}
	hcf_judged_free(&j);
	hcf_model_close(&m);

	/* a Xen with the FastABI: the plan runs */
	ti_xen(&fx.info, 0x40014, false, XEN_HVM_CPUID_FASTABI);
	assert_int_equal(hcf_model_open(&m, abi, &fx.info), 0);
	assert_int_equal(hcf_exec_tests(&fx.base, abi, &m, tests, n, NULL, NULL, NULL, &st), 0);
	assert_true(fx.runs > 0);
	assert_false(st.not_applicable);
	assert_int_equal(st.tally.n[HCF_V_SKIP], 0);
	hcf_model_close(&m);

	hcf_target_close(fx.inner);
	hcf_tests_free(tests, n);
	hcf_spec_free(abi);
}

/* specs/xen-fastabi/ ships the RFC's files as the fixtures hold them. */
static void test_shipped_copy(void **state)
{
	char a[4096], b[4096];
	const char *src = mr_src_dir();
	snprintf(a, sizeof(a), "%s/tests/fixtures/xen-fastabi", src);
	DIR *d = opendir(a);
	assert_non_null(d);
	size_t files = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 4, ".yml") != 0)
			continue;
		snprintf(a, sizeof(a), "%s/tests/fixtures/xen-fastabi/%s", src, de->d_name);
		snprintf(b, sizeof(b), "%s/specs/xen-fastabi/%s", src, de->d_name);
		size_t la, lb;
		char *ta = hcf_read_file(a, 1u << 20, &la), *tb = hcf_read_file(b, 1u << 20, &lb);
		if (!ta || !tb || la != lb || memcmp(ta, tb, la) != 0)
			fail_msg("%s and %s differ", a, b);
		free(ta);
		free(tb);
		files++;
	}
	closedir(d);
	assert_int_equal(files, 7);
	/* and no file of its own beside them */
	snprintf(b, sizeof(b), "%s/specs/xen-fastabi", src);
	d = opendir(b);
	assert_non_null(d);
	size_t shipped = 0;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		shipped += de->d_name[0] != '.' &&
			   ((n > 4 && !strcmp(de->d_name + n - 4, ".yml")) ||
			    (n > 5 && !strcmp(de->d_name + n - 5, ".yaml")));
	}
	closedir(d);
	assert_int_equal(shipped, files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_classic_events),
		cmocka_unit_test(test_classic_deviations),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_exec_keeps_state),
		cmocka_unit_test(test_version_and_numbers),
		cmocka_unit_test(test_fastabi_model),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_requires_language),
		cmocka_unit_test(test_fastabi_requirement),
		cmocka_unit_test(test_requirements_check),
		cmocka_unit_test(test_not_applicable_run),
		cmocka_unit_test(test_shipped_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
