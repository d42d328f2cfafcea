/*
 * test_oracles.c: every oracle against hand-built ABIs, programs and
 * fabricated results (no VM, no spec file, no program codec).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi_build.h"

#include "oracles/anomaly.h"
#include "oracles/models/model.h"
#include "oracles/oracle.h"
#include "spec/transport.h"
#include "util/x86.h"

/* ---- a small ABI, built by hand (everything malloc'ed for hcf_spec_free) */

enum { OP_GET, OP_CARRY, OP_TRAP, OP_WALL, OP_CLOCK, OP_KILL, OP_COUNT, OP_NONE_CONV, OP_ERRONLY,
       OP_RECONF, NOPS };
enum { ST_WALL };

#define EPERM_ 1
#define EINVAL_ 22
#define ENOSYS_ 38
#define GUARD_BYTE 0xcc

static char *xs(const char *s)
{
	char *d = strdup(s);
	assert_non_null(d);
	return d;
}

static void errors_add(struct hcf_op *op, int64_t e)
{
	op->errors = realloc(op->errors, (op->nerrors + 1) * sizeof(*op->errors));
	assert_non_null(op->errors);
	op->errors[op->nerrors++] = e;
}

static struct hcf_arg *arg_add(struct hcf_op *op, const char *name, unsigned reg, unsigned width,
			       enum hcf_dir dir)
{
	op->args = realloc(op->args, (op->nargs + 1) * sizeof(*op->args));
	assert_non_null(op->args);
	struct hcf_arg *a = &op->args[op->nargs++];
	memset(a, 0, sizeof(*a));
	a->name = xs(name);
	a->reg = (uint8_t)reg;
	a->width = (uint8_t)width;
	a->dir = dir;
	a->struct_idx = -1;
	a->count_arg = -1;
	if (dir & HCF_DIR_IN)
		op->in_mask |= HCF_REGBIT(reg);
	if (dir & HCF_DIR_OUT)
		op->out_mask |= HCF_REGBIT(reg);
	return a;
}

static struct hcf_op *op_init(struct hcf_abi *abi, int i, const char *name, uint64_t nr)
{
	struct hcf_op *op = &abi->ops[i];
	op->name = xs(name);
	op->call_name = xs(name);
	op->nr = nr;
	op->ret_reg = HCF_RAX;
	op->ret_width = 64;
	op->err = HCF_ERR_NEG_ERRNO;
	op->status_struct = op->status_field = -1;
	op->in_mask = HCF_REGBIT(HCF_RAX);
	op->out_mask = HCF_REGBIT(HCF_RAX);
	return op;
}

static void field_set(struct hcf_field *f, const char *name, uint32_t off, uint32_t size,
		      enum hcf_dir dir)
{
	f->name = xs(name);
	f->offset = off;
	f->size = size;
	f->dir = dir;
	f->points_to = -1;
	f->buffer_len_field = -1;
}

static struct hcf_abi *test_abi(enum hcf_xport_kind xk)
{
	struct hcf_abi *abi = calloc(1, sizeof(*abi));
	assert_non_null(abi);
	abi->name = xs("t");
	abi->transport.kind = xk;
	abi->transport.clobbers = hcf_xport_info(xk)->clobbers;
	abi->nr_reg = HCF_RAX;
	abi->nr_width = 64;
	abi->subop_reg = HCF_REG_NONE;
	abi->ret_reg = HCF_RAX;
	abi->ret_width = 64;
	abi->err = HCF_ERR_NEG_ERRNO;
	abi_vset_add(&abi->undeclared.returns, -ENOSYS_, -ENOSYS_);
	abi_const(abi, "EPERM", EPERM_);
	abi_const(abi, "EINVAL", EINVAL_);
	abi_const(abi, "ENOSYS", ENOSYS_);

	abi->structs = calloc(1, sizeof(*abi->structs));
	assert_non_null(abi->structs);
	abi->nstructs = 1;
	struct hcf_struct *st = &abi->structs[ST_WALL];
	st->name = xs("walltime");
	st->size = 24;
	st->fields = calloc(4, sizeof(*st->fields));
	assert_non_null(st->fields);
	st->nfields = 4;
	field_set(&st->fields[0], "status", 0, 4, HCF_DIR_OUT);
	st->fields[0].is_status = true;
	field_set(&st->fields[1], "flags", 4, 4, HCF_DIR_IN);
	field_set(&st->fields[2], "nsecs", 8, 8, HCF_DIR_OUT);
	/* 16..20: padding */
	field_set(&st->fields[3], "clock_id", 20, 4, HCF_DIR_IN);

	abi->ops = calloc(NOPS, sizeof(*abi->ops));
	assert_non_null(abi->ops);
	abi->nops = NOPS;

	struct hcf_op *op = op_init(abi, OP_GET, "get", 1);
	arg_add(op, "key", HCF_RDI, 64, HCF_DIR_IN);
	arg_add(op, "value", HCF_RSI, 64, HCF_DIR_OUT);
	op->clobber_mask = HCF_REGBIT(HCF_RDX);
	op->rflags_may_change = HCF_X86_RFLAGS_ZF;
	abi_vset_add(&op->returns, 0, 0);
	errors_add(op, EINVAL_);
	errors_add(op, ENOSYS_);

	op = op_init(abi, OP_CARRY, "carry", 2);
	op->err = HCF_ERR_CARRY;
	abi_vset_add(&op->returns, 0, 0);
	errors_add(op, 1);
	errors_add(op, 2);

	op = op_init(abi, OP_TRAP, "trap", 3);
	op->exceptions = 1u << 6; /* #UD */
	abi_vset_add(&op->returns, 0, 0);

	op = op_init(abi, OP_WALL, "walltime", 4);
	struct hcf_arg *a = arg_add(op, "wt", HCF_RDI, 64, HCF_DIR_IN);
	a->struct_idx = ST_WALL;
	op->err = HCF_ERR_STATUS_FIELD;
	op->ret_reg = HCF_REG_NONE;
	op->out_mask = 0;
	op->status_struct = ST_WALL;
	op->status_field = 0;
	errors_add(op, EINVAL_);

	op = op_init(abi, OP_CLOCK, "clock", 5);
	a = arg_add(op, "ticks", HCF_RDX, 64, HCF_DIR_OUT);
	a->nondet = HCF_NONDET_MONOTONIC;
	abi_vset_add(&op->returns, 0, 0);

	op = op_init(abi, OP_KILL, "kill", 6);
	op->destructive = true;
	op->destructive_why = xs("reloads CR3");
	abi_vset_add(&op->returns, 0, 0);
	/* it may end the guest by a shutdown, whatever its inputs */
	op->losses = calloc(1, sizeof(*op->losses));
	assert_non_null(op->losses);
	op->losses[0].ends = 1u << HCF_LIVE_SHUTDOWN;
	op->nlosses = 1;

	op = op_init(abi, OP_COUNT, "count", 7); /* success values unspecified */
	op->returns.any = true; /* what the loader makes of an absent returns: */
	errors_add(op, EINVAL_);

	op = op_init(abi, OP_NONE_CONV, "raw", 8);
	op->err = HCF_ERR_NONE;
	abi_vset_add(&op->returns, 0, 3);
	errors_add(op, 0x80);

	op = op_init(abi, OP_ERRONLY, "erronly", 9); /* returns: [] -- it only ever fails */
	errors_add(op, ENOSYS_);

	/* destructive, but declares no way to end the guest */
	op = op_init(abi, OP_RECONF, "reconf", 10);
	op->destructive = true;
	op->destructive_why = xs("reloads a descriptor table");
	abi_vset_add(&op->returns, 0, 0);
	return abi;
}

/* ---- programs and results, fabricated ---------------------------------- */

struct fx {
	struct hcf_abi *abi;
	struct hcf_prog p;
	struct hcf_prog_result r;
	struct hcf_call_verdict cvs[8];
};

#define UNDECLARED (-1)
#define UNDECLARED_NR 0x1234

/* A program of n calls to ops[] and a clean result: every call returned
 * with every register as loaded. */
static void fx_make(struct fx *f, struct hcf_abi *abi, size_t n, const int *ops)
{
	memset(f, 0, sizeof(*f));
	assert_true(n <= 8);
	f->abi = abi;
	f->p.abi = abi;
	f->p.calls = calloc(n, sizeof(*f->p.calls));
	assert_non_null(f->p.calls);
	f->p.ncalls = f->p.cap = n;
	assert_int_equal(hcf_result_init(&f->r, n), 0);
	f->r.guard_byte = GUARD_BYTE;
	for (size_t i = 0; i < n; i++) {
		struct hcf_pcall *c = &f->p.calls[i];
		c->op = ops[i];
		for (unsigned r = 0; r < HCF_NGPR; r++) {
			c->gpr[r] = 0x5e5e000000000000ull | (i << 8) | r;
			c->ref[r].buf = -1;
		}
		c->gpr[HCF_RAX] = ops[i] >= 0 ? abi->ops[ops[i]].nr : UNDECLARED_NR;
		struct hcf_call_result *cr = &f->r.calls[i];
		cr->outcome = HCF_CO_RETURNED;
		memcpy(cr->before, c->gpr, sizeof(cr->before));
		cr->before[HCF_RSP] = 0x1ff00;
		memcpy(cr->after, cr->before, sizeof(cr->after));
		/* success, for calls that return something */
		if (ops[i] < 0 || abi->ops[ops[i]].ret_reg == HCF_RAX)
			cr->after[HCF_RAX] = 0;
		cr->rflags_before = cr->rflags_after = 0x202;
	}
	f->r.ndone = n;
}

static void fx_free(struct fx *f)
{
	free(f->p.calls);
	for (size_t b = 0; b < f->p.nbufs; b++)
		free(f->p.bufs[b].init);
	hcf_result_free(&f->r);
	hcf_spec_free(f->abi);
}

/* A buffer in the program and its image after the run, as the program
 * wrote it (guards intact). */
static int fx_buf(struct fx *f, uint32_t size, int struct_idx, enum hcf_dir dir)
{
	int b = (int)f->p.nbufs++;
	struct hcf_buf *pb = &f->p.bufs[b];
	pb->size = size;
	pb->struct_idx = struct_idx;
	pb->dir = dir;
	pb->init = malloc(size);
	assert_non_null(pb->init);
	for (uint32_t i = 0; i < size; i++)
		pb->init[i] = (uint8_t)(0x10 + i);
	struct hcf_buf_after *rb = &f->r.bufs[b];
	rb->gva = 0x600000 + (uint64_t)b * 0x2000;
	rb->size = size;
	rb->cap = size + 2 * HCF_BUF_GUARD;
	rb->bytes = malloc(rb->cap);
	assert_non_null(rb->bytes);
	memset(rb->bytes, GUARD_BYTE, rb->cap);
	memcpy(rb->bytes + HCF_BUF_GUARD, pb->init, size);
	rb->valid = true;
	f->r.nbufs = f->p.nbufs;
	return b;
}

/* A byte of buffer b after the run, by offset from its start (negative:
 * the guard before it). */
static uint8_t *fx_byte(struct fx *f, int b, int off)
{
	return &f->r.bufs[b].bytes[(int)HCF_BUF_GUARD + off];
}

/* A page the target found changed: bytes [off, off + n) differ from the
 * snapshot (was 0x00, now 0xff). agent_writes: a page the agent writes. */
static struct hcf_page_change *fx_page_as(struct fx *f, uint64_t gpa, unsigned off, unsigned n,
					  bool agent_writes)
{
	f->r.pages_checked = true;
	struct hcf_page_change *pc = hcf_result_page_slot(&f->r);
	assert_non_null(pc);
	pc->gpa = gpa;
	pc->agent_writes = agent_writes;
	memset(pc->was, 0, sizeof(pc->was));
	memset(pc->now, 0, sizeof(pc->now));
	for (unsigned i = off; i < off + n && i < 4096; i++) {
		pc->changed[i / 64] |= 1ull << (i % 64);
		pc->now[i] = 0xff;
		pc->nchanged++;
	}
	return pc;
}

static struct hcf_page_change *fx_page(struct fx *f, uint64_t gpa, unsigned off, unsigned n)
{
	return fx_page_as(f, gpa, off, n, false);
}

static void dump(const struct hcf_call_verdict *cv);

/* HCF_TEST_VERBOSE=1 prints every issue, to read the messages. */
static enum hcf_verdict fx_check(struct fx *f)
{
	enum hcf_verdict v = hcf_oracles_check(f->abi, &f->p, &f->r, NULL, NULL, f->cvs);
	if (getenv("HCF_TEST_VERBOSE"))
		for (size_t i = 0; i < f->p.ncalls; i++)
			dump(&f->cvs[i]);
	return v;
}

static const struct hcf_issue *find_issue(const struct hcf_call_verdict *cv, const char *oracle,
					  const char *where)
{
	for (size_t i = 0; i < cv->nissues; i++)
		if (!strcmp(cv->issues[i].oracle, oracle) &&
		    (!where || !strcmp(cv->issues[i].where, where)))
			return &cv->issues[i];
	return NULL;
}

static void dump(const struct hcf_call_verdict *cv)
{
	for (size_t i = 0; i < cv->nissues; i++) {
		const struct hcf_issue *is = &cv->issues[i];
		print_message("  %s %s [%s]: %s", hcf_verdict_name(is->v), is->oracle, is->where,
			      is->reason);
		if (is->has_values)
			print_message(" (expected 0x%llx got 0x%llx)",
				      (unsigned long long)is->expected, (unsigned long long)is->got);
		print_message("\n");
	}
	if (cv->dropped)
		print_message("  ... %zu more\n", cv->dropped);
}

/* The call's verdict must be v, and the only issues from `oracle`. */
static void expect_only(const struct hcf_call_verdict *cv, enum hcf_verdict v)
{
	if (cv->v != v)
		dump(cv);
	assert_int_equal(cv->v, v);
}

/* ---- clobber ----------------------------------------------------------- */

static void test_clean_passes(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_CARRY, OP_CLOCK, UNDECLARED };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 4, ops);
	f.r.calls[3].after[HCF_RAX] = (uint64_t)-ENOSYS_;
	assert_int_equal(fx_check(&f), HCF_V_PASS);
	for (size_t i = 0; i < 4; i++) {
		expect_only(&f.cvs[i], HCF_V_PASS);
		assert_int_equal(f.cvs[i].nissues, 0);
	}
	fx_free(&f);
}

static void test_clobber_rbx_fails(void **state)
{
	struct fx f;
	int ops[] = { OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, ops);
	uint64_t was = f.r.calls[0].before[HCF_RBX];
	f.r.calls[0].after[HCF_RBX] = 0xdeadbeef;
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	const struct hcf_issue *is = find_issue(&f.cvs[0], "clobber", "rbx");
	assert_non_null(is);
	assert_int_equal(is->v, HCF_V_FAIL);
	assert_true(is->has_values);
	assert_int_equal(is->expected, was);
	assert_int_equal(is->got, 0xdeadbeef);
	assert_non_null(strstr(is->reason, "get"));
	assert_int_equal(f.cvs[0].nissues, 1);
	fx_free(&f);
}

static void test_clobber_rsp_fails(void **state)
{
	struct fx f;
	int ops[] = { OP_TRAP };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, ops);
	/* An allowed exception whose frame shows a moved stack. */
	f.r.calls[0].outcome = HCF_CO_EXCEPTION;
	f.r.calls[0].vector = 6;
	f.r.calls[0].after[HCF_RSP] += 8;
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	assert_non_null(find_issue(&f.cvs[0], "clobber", "rsp"));
	fx_free(&f);
}

static void test_declared_changes_pass(void **state)
{
	struct fx f;
	int ops[] = { OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, ops);
	f.r.calls[0].after[HCF_RSI] = 0x1234;     /* output */
	f.r.calls[0].after[HCF_RDX] = 0x5678;     /* declared clobber */
	f.r.calls[0].rflags_after |= HCF_X86_RFLAGS_ZF; /* declared flag */
	assert_int_equal(fx_check(&f), HCF_V_PASS);
	fx_free(&f);
}

/* Every architectural RFLAGS bit is compared, unless the target says it
 * cannot capture it (PVM's native mode: IF); RF may be set in the frame of a
 * fault, where the CPU puts it. */
static void test_rflags_captured(void **state)
{
	struct fx f;
	int ops[] = { OP_GET };
	static const unsigned bits[] = { 8 /* TF */, 9 /* IF */, 14 /* NT */, 18 /* AC */ };
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, ops);
		f.r.calls[0].rflags_after ^= 1ull << bits[i];
		assert_int_equal(fx_check(&f), HCF_V_FAIL);
		assert_non_null(find_issue(&f.cvs[0], "clobber", NULL));
		assert_int_equal(f.cvs[0].issues[0].loc.kind, HCF_LOC_FLAG);
		assert_int_equal(f.cvs[0].issues[0].loc.bit, bits[i]);
		fx_free(&f);
	}
	/* a target that cannot capture IF: only IF is left out */
	struct hcf_target_info ti = { .rflags_captured = HCF_X86_RFLAGS_ARCH & ~HCF_X86_RFLAGS_IF };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, ops);
	f.r.calls[0].rflags_after ^= HCF_X86_RFLAGS_IF;
	assert_int_equal(hcf_oracles_check(f.abi, &f.p, &f.r, NULL, &ti, f.cvs), HCF_V_PASS);
	f.r.calls[0].rflags_after ^= HCF_X86_RFLAGS_TF;
	assert_int_equal(hcf_oracles_check(f.abi, &f.p, &f.r, NULL, &ti, f.cvs), HCF_V_FAIL);
	fx_free(&f);

	/* RF in a fault's frame (#UD) is the CPU's; after a trap or a return it
	 * is a change */
	int trap[] = { OP_TRAP };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, trap);
	f.r.calls[0].outcome = HCF_CO_EXCEPTION;
	f.r.calls[0].vector = 6;
	f.r.calls[0].rflags_after |= HCF_X86_RFLAGS_RF;
	assert_int_equal(fx_check(&f), HCF_V_PASS);
	f.r.calls[0].outcome = HCF_CO_RETURNED;
	f.r.calls[0].after[HCF_RAX] = 0;
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	assert_non_null(find_issue(&f.cvs[0], "clobber", "rflags.RF"));
	fx_free(&f);
}

static void test_transport_clobbers(void **state)
{
	/* syscall: rcx and r11 are the transport's. */
	struct fx f;
	int ops[] = { OP_GET, UNDECLARED };
	fx_make(&f, test_abi(HCF_XPORT_SYSCALL), 2, ops);
	f.r.calls[1].after[HCF_RAX] = (uint64_t)-ENOSYS_;
	for (int i = 0; i < 2; i++) {
		f.r.calls[i].after[HCF_RCX] = 0xffffffff81000000ull;
		f.r.calls[i].after[HCF_R11] = 0x202;
	}
	assert_int_equal(fx_check(&f), HCF_V_PASS);
	fx_free(&f);

	/* The same changes over vmcall are clobbers. */
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, ops);
	f.r.calls[0].after[HCF_RCX] = 0xffffffff81000000ull;
	f.r.calls[0].after[HCF_R11] = 0x202;
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	assert_non_null(find_issue(&f.cvs[0], "clobber", "rcx"));
	assert_non_null(find_issue(&f.cvs[0], "clobber", "r11"));
	fx_free(&f);
}

static void test_rflags(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_CARRY };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, ops);
	f.r.calls[0].rflags_after |= HCF_X86_RFLAGS_CF | HCF_X86_RFLAGS_ZF; /* CF not declared, ZF is */
	f.r.calls[0].rflags_after |= 0x400;                         /* DF */
	f.r.calls[1].rflags_after |= HCF_X86_RFLAGS_CF;                 /* carry convention */
	f.r.calls[1].after[HCF_RAX] = 1;
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	const struct hcf_issue *is = find_issue(&f.cvs[0], "clobber", "rflags.CF");
	assert_non_null(is);
	assert_int_equal(is->expected, 0x202);
	assert_int_equal(is->got, 0x202 | HCF_X86_RFLAGS_CF | HCF_X86_RFLAGS_ZF | 0x400);
	assert_non_null(find_issue(&f.cvs[0], "clobber", "rflags.DF"));
	assert_null(find_issue(&f.cvs[0], "clobber", "rflags.ZF"));
	expect_only(&f.cvs[1], HCF_V_PASS);
	fx_free(&f);
}

static void test_vector_registers(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, ops);
	static struct hcf_call_vec vecs[2];
	for (int i = 0; i < 2; i++) {
		f.r.calls[i].has_vec = true;
		f.r.calls[i].vec = &vecs[i];
		memset(&vecs[i].before, 0x5a, sizeof(vecs[i].before));
		vecs[i].after = vecs[i].before;
	}
	vecs[1].after.xmm[3][9] = 0;
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	expect_only(&f.cvs[0], HCF_V_PASS);
	const struct hcf_issue *is = find_issue(&f.cvs[1], "clobber", "xmm3");
	assert_non_null(is);
	assert_int_equal(is->expected, 0x5a5a5a5a5a5a5a5aull);
	assert_int_equal(is->got, 0x5a5a5a5a5a5a005aull);
	fx_free(&f);
}

/* ---- exception --------------------------------------------------------- */

static void test_exceptions(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_TRAP, UNDECLARED };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 3, ops);
	for (int i = 0; i < 3; i++) {
		f.r.calls[i].outcome = HCF_CO_EXCEPTION;
		f.r.calls[i].fault_rip = 0x100234;
		f.r.calls[i].after[HCF_RAX] = f.r.calls[i].before[HCF_RAX];
	}
	f.r.calls[0].vector = 13;
	f.r.calls[0].error_code = 0;
	f.r.calls[1].vector = 6; /* allowed */
	f.r.calls[2].vector = 6; /* undeclared numbers may raise nothing */
	assert_int_equal(fx_check(&f), HCF_V_FAIL);

	const struct hcf_issue *is = find_issue(&f.cvs[0], "exception", "exception");
	assert_non_null(is);
	assert_non_null(strstr(is->reason, "#GP(0x0)"));
	assert_non_null(strstr(is->reason, "0x100234"));
	assert_non_null(strstr(is->reason, "expected none"));
	expect_only(&f.cvs[1], HCF_V_PASS);
	is = find_issue(&f.cvs[2], "exception", "exception");
	assert_non_null(is);
	assert_non_null(strstr(is->reason, "#UD"));
	/* No return value is judged after an exception. */
	assert_null(find_issue(&f.cvs[2], "retval", NULL));
	fx_free(&f);

	/* A vector outside the architectural range is never allowed. */
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, (int[]){ OP_TRAP });
	f.r.calls[0].outcome = HCF_CO_EXCEPTION;
	f.r.calls[0].vector = 0x45;
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	assert_non_null(strstr(find_issue(&f.cvs[0], "exception", NULL)->reason, "vector 0x45"));
	fx_free(&f);
}

/* A model can widen the list for the guest's state (the pvm model after a
 * short IDT): the exception and model oracles both honour it. */
static void test_exceptions_model_extra(void **state)
{
	struct fx f;
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, (int[]){ OP_TRAP });
	f.r.calls[0].outcome = HCF_CO_EXCEPTION;
	f.r.calls[0].vector = 8; /* #DF in place of the allowed #UD */
	struct hcf_expect e;
	hcf_model_predict_from_spec(f.abi, &f.p, 0, f.r.calls[0].before, &e);
	struct hcf_oracle_ctx ctx = { .abi = f.abi, .prog = &f.p, .res = &f.r, .idx = 0,
				      .op = &f.abi->ops[OP_TRAP], .expect = &e };
	hcf_call_verdict_init(&f.cvs[0]);
	hcf_oracle_exception(&ctx, &f.cvs[0]);
	hcf_oracle_model(&ctx, &f.cvs[0]);
	assert_int_equal(f.cvs[0].v, HCF_V_FAIL);
	assert_non_null(strstr(find_issue(&f.cvs[0], "exception", NULL)->reason, "#DF"));

	e.extra_exceptions = 1u << 8;
	hcf_call_verdict_init(&f.cvs[0]);
	hcf_oracle_exception(&ctx, &f.cvs[0]);
	hcf_oracle_model(&ctx, &f.cvs[0]);
	expect_only(&f.cvs[0], HCF_V_PASS);
	/* ... and only that vector. */
	f.r.calls[0].vector = 14;
	hcf_oracle_exception(&ctx, &f.cvs[0]);
	assert_int_equal(f.cvs[0].v, HCF_V_FAIL);
	fx_free(&f);
}

static void test_exception_names(void **state)
{
	char buf[32];
	assert_string_equal(hcf_exc_format(buf, sizeof(buf), 6, 0), "#UD");
	assert_string_equal(hcf_exc_format(buf, sizeof(buf), 13, 0x18), "#GP(0x18)");
	assert_string_equal(hcf_exc_format(buf, sizeof(buf), 14, 2), "#PF(0x2)");
	assert_string_equal(hcf_exc_format(buf, sizeof(buf), 200, 0), "vector 0xc8");
	assert_null(hcf_x86_exc_mnemonic(15));
	assert_null(hcf_x86_exc_mnemonic(255));
	assert_string_equal(hcf_x86_rflags_name(0), "CF");
	assert_string_equal(hcf_x86_rflags_name(11), "OF");
	assert_null(hcf_x86_rflags_name(1));
	assert_null(hcf_x86_rflags_name(99));
}

/* ---- retval ------------------------------------------------------------ */

/* Run one call to op returning rax (and CF) and return its verdict. */
static enum hcf_verdict one_ret(int op, uint64_t rax, bool cf, struct fx *f)
{
	int ops[] = { op };
	fx_make(f, test_abi(HCF_XPORT_VMCALL), 1, ops);
	f->r.calls[0].after[HCF_RAX] = rax;
	if (cf)
		f->r.calls[0].rflags_after |= HCF_X86_RFLAGS_CF;
	return fx_check(f);
}

static void test_retval_neg_errno(void **state)
{
	struct fx f;
	const struct hcf_issue *is;

	assert_int_equal(one_ret(OP_GET, 0, false, &f), HCF_V_PASS);
	fx_free(&f);
	assert_int_equal(one_ret(OP_GET, (uint64_t)-EINVAL_, false, &f), HCF_V_PASS);
	fx_free(&f);

	/* An error the call may not return, named from the constants. */
	assert_int_equal(one_ret(OP_GET, (uint64_t)-EPERM_, false, &f), HCF_V_FAIL);
	is = find_issue(&f.cvs[0], "retval", "rax");
	assert_non_null(is);
	assert_non_null(strstr(is->reason, "-EPERM"));
	assert_non_null(strstr(is->reason, "not allowed"));
	fx_free(&f);

	/* Positive errno. */
	assert_int_equal(one_ret(OP_GET, EINVAL_, false, &f), HCF_V_FAIL);
	is = find_issue(&f.cvs[0], "retval", "rax");
	assert_non_null(is);
	assert_non_null(strstr(is->reason, "positive errno"));
	assert_int_equal(is->expected, (uint64_t)-EINVAL_);
	assert_int_equal(is->got, EINVAL_);
	fx_free(&f);

	/* -errno not sign-extended into a 64-bit register. */
	assert_int_equal(one_ret(OP_GET, 0xffffffffull - ENOSYS_ + 1, false, &f), HCF_V_FAIL);
	is = find_issue(&f.cvs[0], "retval", "rax");
	assert_non_null(is);
	assert_non_null(strstr(is->reason, "not sign-extended"));
	assert_int_equal(is->expected, (uint64_t)-ENOSYS_);
	assert_int_equal(is->got, 0xffffffdaull);
	fx_free(&f);

	/* A plain value outside returns. */
	assert_int_equal(one_ret(OP_GET, 5, false, &f), HCF_V_FAIL);
	assert_non_null(find_issue(&f.cvs[0], "retval", "rax"));
	fx_free(&f);

	/* Success values unspecified: any non-error value passes, errors
	 * are still checked. */
	assert_int_equal(one_ret(OP_COUNT, 12345, false, &f), HCF_V_PASS);
	fx_free(&f);
	assert_int_equal(one_ret(OP_COUNT, (uint64_t)-EPERM_, false, &f), HCF_V_FAIL);
	fx_free(&f);

	/* returns: [] -- no success value at all: 0 is a FAIL, the error passes. */
	assert_int_equal(one_ret(OP_ERRONLY, 0, false, &f), HCF_V_FAIL);
	assert_non_null(find_issue(&f.cvs[0], "retval", "rax"));
	fx_free(&f);
	assert_int_equal(one_ret(OP_ERRONLY, (uint64_t)-ENOSYS_, false, &f), HCF_V_PASS);
	fx_free(&f);
}

static void test_retval_carry(void **state)
{
	struct fx f;
	const struct hcf_issue *is;

	assert_int_equal(one_ret(OP_CARRY, 0, false, &f), HCF_V_PASS);
	fx_free(&f);
	assert_int_equal(one_ret(OP_CARRY, 2, true, &f), HCF_V_PASS);
	fx_free(&f);

	/* CF set with a code that is not an allowed error. */
	assert_int_equal(one_ret(OP_CARRY, 7, true, &f), HCF_V_FAIL);
	is = find_issue(&f.cvs[0], "retval", "rax");
	assert_non_null(is);
	assert_non_null(strstr(is->reason, "CF set"));
	fx_free(&f);

	/* An error code without CF. */
	assert_int_equal(one_ret(OP_CARRY, 1, false, &f), HCF_V_FAIL);
	is = find_issue(&f.cvs[0], "retval", "rflags.CF");
	assert_non_null(is);
	assert_non_null(strstr(is->reason, "error code without CF"));
	fx_free(&f);

	/* CF clear, neither success nor error. */
	assert_int_equal(one_ret(OP_CARRY, 9, false, &f), HCF_V_FAIL);
	assert_non_null(find_issue(&f.cvs[0], "retval", "rax"));
	fx_free(&f);
}

static void test_retval_none_conv(void **state)
{
	struct fx f;
	assert_int_equal(one_ret(OP_NONE_CONV, 3, false, &f), HCF_V_PASS);
	fx_free(&f);
	assert_int_equal(one_ret(OP_NONE_CONV, 0x80, false, &f), HCF_V_PASS);
	fx_free(&f);
	assert_int_equal(one_ret(OP_NONE_CONV, 4, false, &f), HCF_V_FAIL);
	fx_free(&f);
}

static void test_retval_undeclared(void **state)
{
	struct fx f;
	assert_int_equal(one_ret(UNDECLARED, (uint64_t)-ENOSYS_, false, &f), HCF_V_PASS);
	fx_free(&f);
	assert_int_equal(one_ret(UNDECLARED, (uint64_t)-EPERM_, false, &f), HCF_V_FAIL);
	const struct hcf_issue *is = find_issue(&f.cvs[0], "retval", "rax");
	assert_non_null(is);
	assert_int_equal(is->expected, (uint64_t)-ENOSYS_);
	assert_int_equal(is->got, (uint64_t)-EPERM_);
	assert_non_null(strstr(is->reason, "-ENOSYS"));
	assert_non_null(strstr(is->reason, "-EPERM"));
	fx_free(&f);
}

/*
 * A call with sub-operations may say what its unknown ones do (Xen's vcpu_op
 * checks its vCPU first: -ENOENT): its undeclared contract judges a call to
 * its number, the ABI's every other undeclared number.
 */
static void test_undeclared_subop(void **state)
{
	struct fx f;
	int ops[] = { UNDECLARED, UNDECLARED };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, ops);
	f.abi->calls = calloc(1, sizeof(*f.abi->calls));
	assert_non_null(f.abi->calls);
	f.abi->ncalls = 1;
	struct hcf_call *cl = &f.abi->calls[0];
	cl->name = xs("multi");
	cl->nr = UNDECLARED_NR;
	cl->has_subops = true; /* and none declared: every index is unknown */
	cl->undeclared = calloc(1, sizeof(*cl->undeclared));
	assert_non_null(cl->undeclared);
	abi_vset_add(&cl->undeclared->returns, -ENOSYS_, -ENOSYS_);
	abi_vset_add(&cl->undeclared->returns, -2, -2);
	cl->undeclared->exceptions = 1u << 6; /* #UD */
	f.p.calls[1].gpr[HCF_RAX] = f.r.calls[1].before[HCF_RAX] = UNDECLARED_NR + 1;
	f.r.calls[0].after[HCF_RAX] = f.r.calls[1].after[HCF_RAX] = (uint64_t)-ENOSYS_;
	assert_int_equal(fx_check(&f), HCF_V_PASS);

	f.r.calls[0].after[HCF_RAX] = (uint64_t)-2;
	assert_int_equal(fx_check(&f), HCF_V_PASS);
	f.r.calls[1].after[HCF_RAX] = (uint64_t)-2;
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	expect_only(&f.cvs[0], HCF_V_PASS);
	assert_non_null(find_issue(&f.cvs[1], "retval", "rax"));

	f.r.calls[1].after[HCF_RAX] = (uint64_t)-ENOSYS_;
	f.r.calls[0].after[HCF_RAX] = (uint64_t)-EPERM_;
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	const struct hcf_issue *is = find_issue(&f.cvs[0], "retval", "rax");
	assert_non_null(is);
	assert_non_null(strstr(is->reason, "unknown sub-operation"));
	assert_non_null(strstr(is->reason, "allowed: -38, -2"));

	/* its exceptions too: #UD for the call's number, not for another */
	f.r.calls[0].after[HCF_RAX] = (uint64_t)-ENOSYS_;
	for (size_t i = 0; i < 2; i++) {
		f.r.calls[i].outcome = HCF_CO_EXCEPTION;
		f.r.calls[i].vector = 6;
	}
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	expect_only(&f.cvs[0], HCF_V_PASS);
	assert_non_null(find_issue(&f.cvs[1], "exception", NULL));
	fx_free(&f);
}

/* A walltime call pointing rdi at a fresh walltime buffer with status s. */
static void wall_fx(struct fx *f, uint32_t status)
{
	int ops[] = { OP_WALL };
	fx_make(f, test_abi(HCF_XPORT_VMCALL), 1, ops);
	int b = fx_buf(f, 24, ST_WALL, HCF_DIR_INOUT);
	f->p.calls[0].ref[HCF_RDI].buf = (int16_t)b;
	f->p.calls[0].ref[HCF_RDI].offset = 0;
	for (int i = 0; i < 4; i++)
		*fx_byte(f, b, i) = (uint8_t)(status >> (8 * i));
}

static void test_retval_status_field(void **state)
{
	struct fx f;
	wall_fx(&f, 0);
	assert_int_equal(fx_check(&f), HCF_V_PASS);
	fx_free(&f);
	wall_fx(&f, EINVAL_);
	assert_int_equal(fx_check(&f), HCF_V_PASS);
	fx_free(&f);
	wall_fx(&f, (uint32_t)-EINVAL_); /* negated spelling of an allowed error */
	assert_int_equal(fx_check(&f), HCF_V_PASS);
	fx_free(&f);
	wall_fx(&f, 99);
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	const struct hcf_issue *is = find_issue(&f.cvs[0], "retval", "buf0+0 (walltime.status)");
	assert_non_null(is);
	assert_int_equal(is->got, 99);
	fx_free(&f);

	/* Pointer not into a buffer: the status cannot be read, say so. */
	wall_fx(&f, 0);
	f.p.calls[0].ref[HCF_RDI].buf = -1;
	assert_int_equal(fx_check(&f), HCF_V_SKIP);
	assert_non_null(strstr(find_issue(&f.cvs[0], "retval", NULL)->reason, "rdi"));
	fx_free(&f);

	/* An offset that puts the field outside the buffer is not read. */
	wall_fx(&f, 0);
	f.p.calls[0].ref[HCF_RDI].offset = 22;
	assert_int_equal(fx_check(&f), HCF_V_SKIP);
	fx_free(&f);
}

/* The class of a returned value (hcf_oracle_retval_class) for call 0 of f. */
static enum hcf_rv_class rv_class(struct fx *f, int *err)
{
	const struct hcf_op *op = hcf_prog_call_op(&f->p, 0);
	struct hcf_oracle_ctx ctx = { .abi = f->abi, .prog = &f->p, .res = &f->r, .idx = 0, .op = op,
				      .undeclared = op ? NULL : hcf_pcall_undeclared(&f->p,
										      &f->p.calls[0],
										      NULL) };
	return hcf_oracle_retval_class(&ctx, err);
}

/* The oracle fails exactly what the classifier calls undeclared, for every
 * convention and a sweep of values; errors come with their index. */
static void test_retval_class_agrees(void **state)
{
	(void)state;
	static const int ops[] = { OP_GET, OP_CARRY, OP_COUNT, OP_NONE_CONV, OP_ERRONLY, UNDECLARED };
	static const int64_t values[] = { 0, 1, 2, 3, 4, 5, 7, 9, 0x80, 12345, -1, -EPERM_,
					  -EINVAL_, -ENOSYS_, EINVAL_, 0xffffffda, -4095, -4096 };
	size_t n_err = 0, n_undecl = 0, n_ok = 0;
	for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
		for (size_t k = 0; k < sizeof(values) / sizeof(values[0]); k++)
			for (int cf = 0; cf < 2; cf++) {
				struct fx f;
				one_ret(ops[o], (uint64_t)values[k], cf, &f);
				int err;
				enum hcf_rv_class c = rv_class(&f, &err);
				const struct hcf_issue *is = find_issue(&f.cvs[0], "retval", NULL);
				bool failed = is && is->v == HCF_V_FAIL;
				if (failed != (c == HCF_RV_UNDECLARED))
					fail_msg("op %d value %lld cf %d: class %d, oracle %s", ops[o],
						 (long long)values[k], cf, c, failed ? "FAIL" : "passes");
				if (c == HCF_RV_ERROR) {
					const struct hcf_op *op = &f.abi->ops[ops[o]];
					assert_true(err >= 0 && (size_t)err < op->nerrors);
					int64_t code = op->errors[err];
					assert_true(code == values[k] || code == -values[k]);
					n_err++;
				} else {
					assert_int_equal(err, -1);
				}
				n_undecl += c == HCF_RV_UNDECLARED;
				n_ok += c == HCF_RV_SUCCESS;
				fx_free(&f);
			}
	assert_true(n_err > 5 && n_undecl > 20 && n_ok > 10);

	/* the error the value is, by its index */
	struct fx f;
	int err;
	one_ret(OP_GET, (uint64_t)-ENOSYS_, false, &f);
	assert_int_equal(rv_class(&f, &err), HCF_RV_ERROR);
	assert_int_equal(err, 1);
	fx_free(&f);
	/* a status field: 0, an error as is or negated, neither, unreadable */
	static const struct {
		uint32_t status;
		enum hcf_rv_class want;
	} st[] = { { 0, HCF_RV_SUCCESS }, { EINVAL_, HCF_RV_ERROR }, { (uint32_t)-EINVAL_, HCF_RV_ERROR },
		   { 99, HCF_RV_UNDECLARED } };
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		wall_fx(&f, st[i].status);
		assert_int_equal(rv_class(&f, &err), st[i].want);
		fx_free(&f);
	}
	wall_fx(&f, 0);
	f.p.calls[0].ref[HCF_RDI].buf = -1;
	assert_int_equal(rv_class(&f, &err), HCF_RV_UNKNOWN);
	/* not a returned call */
	f.r.calls[0].outcome = HCF_CO_EXCEPTION;
	assert_int_equal(rv_class(&f, &err), HCF_RV_UNKNOWN);
	fx_free(&f);
}

/* ---- model ------------------------------------------------------------- */

static struct hcf_abi *kvm_abi(void)
{
	struct hcf_abi *abi = calloc(1, sizeof(*abi));
	assert_non_null(abi);
	abi->name = xs("kvm");
	abi->model = xs("kvm");
	abi->transport.kind = HCF_XPORT_NATIVE;
	abi->nr_reg = HCF_RAX;
	abi->nr_width = 64;
	abi->subop_reg = HCF_REG_NONE;
	abi->ret_reg = HCF_RAX;
	abi->ret_width = 64;
	abi->err = HCF_ERR_NEG_ERRNO;
	abi_const(abi, "KVM_ENOSYS", 1000);
	abi_const(abi, "KVM_EPERM", 1);
	abi->ops = calloc(1, sizeof(*abi->ops));
	assert_non_null(abi->ops);
	abi->nops = 1;
	struct hcf_op *op = op_init(abi, 0, "KVM_HC_VAPIC_POLL_IRQ", 1);
	abi_vset_add(&op->returns, 0, 0);
	errors_add(op, 1000);
	return abi;
}

static void test_model_kvm_enosys_vs_eperm(void **state)
{
	struct fx f;
	int ops[] = { UNDECLARED, 0 };
	fx_make(&f, kvm_abi(), 2, ops);
	f.r.calls[0].after[HCF_RAX] = (uint64_t)-1; /* -KVM_EPERM */
	f.r.calls[1].after[HCF_RAX] = 0;

	struct hcf_model m;
	assert_int_equal(hcf_model_open(&m, f.abi, NULL), 0);
	assert_false(m.fell_back);
	assert_string_equal(m.ops->name, "kvm");
	assert_int_equal(hcf_oracles_check(f.abi, &f.p, &f.r, &m, NULL, f.cvs), HCF_V_FAIL);
	hcf_model_close(&m);
	if (getenv("HCF_TEST_VERBOSE"))
		dump(&f.cvs[0]);

	const struct hcf_issue *is = find_issue(&f.cvs[0], "model", "rax");
	assert_non_null(is);
	assert_int_equal(is->expected, (uint64_t)-1000);
	assert_int_equal(is->got, (uint64_t)-1);
	assert_non_null(strstr(is->reason, "-KVM_ENOSYS (0xfffffffffffffc18)"));
	assert_non_null(strstr(is->reason, "-KVM_EPERM (0xffffffffffffffff)"));
	expect_only(&f.cvs[1], HCF_V_PASS);
	fx_free(&f);
}

static void test_model_outcome(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_TRAP, OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 3, ops);
	struct hcf_expect e[3];
	memset(e, 0, sizeof(e));
	/* A model that knows more than the spec: trap raises #UD, call 2
	 * must return, and the first returns 7 in rsi with ZF set. */
	e[0].outcome = HCF_EXP_RETURN;
	e[0].known = HCF_REGBIT(HCF_RSI);
	e[0].gpr[HCF_RSI] = 7;
	e[0].rflags_mask = HCF_X86_RFLAGS_ZF;
	e[0].rflags = HCF_X86_RFLAGS_ZF;
	e[0].why_model = "test";
	e[0].why = "test model";
	e[1].outcome = HCF_EXP_EXCEPTION;
	e[1].vector = 6;
	e[2].outcome = HCF_EXP_EXCEPTION;
	e[2].vector = 13;

	f.r.calls[0].after[HCF_RSI] = 8;
	f.r.calls[1].outcome = HCF_CO_EXCEPTION;
	f.r.calls[1].vector = 6;
	/* call 2 returns although #GP was predicted */

	for (size_t i = 0; i < 3; i++) {
		struct hcf_oracle_ctx ctx = { .abi = f.abi, .prog = &f.p, .res = &f.r, .idx = i,
					      .op = hcf_prog_call_op(&f.p, i),
					      .expect = &e[i] };
		hcf_call_verdict_init(&f.cvs[i]);
		hcf_oracle_model(&ctx, &f.cvs[i]);
	}
	const struct hcf_issue *is = find_issue(&f.cvs[0], "model", "rsi");
	assert_non_null(is);
	assert_int_equal(is->expected, 7);
	assert_int_equal(is->got, 8);
	assert_non_null(strstr(is->reason, "test model"));
	assert_non_null(find_issue(&f.cvs[0], "model", "rflags.ZF"));
	expect_only(&f.cvs[1], HCF_V_PASS);
	is = find_issue(&f.cvs[2], "model", "exception");
	assert_non_null(is);
	assert_non_null(strstr(is->reason, "#GP"));

	/* Wrong vector. */
	f.r.calls[1].vector = 13;
	struct hcf_oracle_ctx ctx = { .abi = f.abi, .prog = &f.p, .res = &f.r, .idx = 1,
				      .op = hcf_prog_call_op(&f.p, 1), .expect = &e[1] };
	hcf_call_verdict_init(&f.cvs[1]);
	hcf_oracle_model(&ctx, &f.cvs[1]);
	is = find_issue(&f.cvs[1], "model", "exception");
	assert_non_null(is);
	assert_int_equal(is->expected, 6);
	assert_int_equal(is->got, 13);
	fx_free(&f);
}

static void test_model_monotonic(void **state)
{
	struct fx f;
	int ops[] = { OP_CLOCK, OP_GET, OP_CLOCK, OP_CLOCK };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 4, ops);
	f.r.calls[0].after[HCF_RDX] = 100;
	f.r.calls[2].after[HCF_RDX] = 150;
	f.r.calls[3].after[HCF_RDX] = 120; /* went back */
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	expect_only(&f.cvs[0], HCF_V_PASS);
	expect_only(&f.cvs[2], HCF_V_PASS);
	const struct hcf_issue *is = find_issue(&f.cvs[3], "model", "rdx");
	assert_non_null(is);
	assert_int_equal(is->expected, 150);
	assert_int_equal(is->got, 120);
	assert_non_null(strstr(is->reason, "monotonic"));
	fx_free(&f);

	/* Equal is fine; a model's exact prediction of a nondeterministic
	 * output is ignored. */
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, (int[]){ OP_CLOCK, OP_CLOCK });
	f.r.calls[0].after[HCF_RDX] = 100;
	f.r.calls[1].after[HCF_RDX] = 100;
	assert_int_equal(fx_check(&f), HCF_V_PASS);
	struct hcf_expect e = { .outcome = HCF_EXP_RETURN, .known = HCF_REGBIT(HCF_RDX) };
	e.gpr[HCF_RDX] = 5;
	struct hcf_oracle_ctx ctx = { .abi = f.abi, .prog = &f.p, .res = &f.r, .idx = 1,
				      .op = &f.abi->ops[OP_CLOCK], .expect = &e };
	hcf_call_verdict_init(&f.cvs[1]);
	hcf_oracle_model(&ctx, &f.cvs[1]);
	expect_only(&f.cvs[1], HCF_V_PASS);
	fx_free(&f);
}

/* A model that counts what the driver asks of it. */
struct count_model {
	int predicts, observes, resets;
};

static void cm_predict(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
		       const uint64_t before[HCF_NGPR], struct hcf_expect *e)
{
	((struct count_model *)st)->predicts++;
	hcf_model_predict_from_spec(abi, p, idx, before, e);
}

static void cm_observe(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
		       const struct hcf_prog_result *res)
{
	((struct count_model *)st)->observes++;
}

static void cm_reset(void *st)
{
	((struct count_model *)st)->resets++;
}

static const struct hcf_model_ops count_ops = {
	.name = "count", .predict = cm_predict, .observe = cm_observe, .reset = cm_reset,
};

static void test_driver_model_calls(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_KILL, OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 3, ops);
	f.r.calls[1].outcome = HCF_CO_GUEST_LOST;
	f.r.calls[1].lost_why = HCF_LIVE_SHUTDOWN;
	f.r.calls[2].outcome = HCF_CO_NOT_RUN;
	f.r.liveness = HCF_LIVE_SHUTDOWN;
	f.r.ndone = 1;
	struct count_model cm = { 0 };
	struct hcf_model m = { .ops = &count_ops, .st = &cm };
	/* The destructive call ends the guest as it declares (LOST); the rest
	 * was not run. */
	assert_int_equal(hcf_oracles_check(f.abi, &f.p, &f.r, &m, NULL, f.cvs), HCF_V_SKIP);
	assert_int_equal(cm.predicts, 2); /* not for the call that never ran */
	assert_int_equal(cm.observes, 1); /* only completed calls */
	assert_int_equal(cm.resets, 1);   /* the guest is rebuilt after the loss */
	expect_only(&f.cvs[0], HCF_V_PASS);
	expect_only(&f.cvs[1], HCF_V_LOST);
	expect_only(&f.cvs[2], HCF_V_SKIP);
	fx_free(&f);
}

/* ---- memory ------------------------------------------------------------ */

static void test_memory_guards(void **state)
{
	struct fx f;
	int ops[] = { OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, ops);
	int b = fx_buf(&f, 16, -1, HCF_DIR_INOUT);
	f.p.calls[0].ref[HCF_RSI].buf = (int16_t)b;
	*fx_byte(&f, b, 5) = 0; /* writable raw buffer: fine */
	assert_int_equal(fx_check(&f), HCF_V_PASS);

	*fx_byte(&f, b, -3) = 0x00;
	*fx_byte(&f, b, -2) = 0x00;
	*fx_byte(&f, b, 16 + 4) = 0x77;
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	const struct hcf_issue *is = find_issue(&f.cvs[0], "memory", "guard buf0-3");
	assert_non_null(is);
	assert_int_equal(is->expected, GUARD_BYTE);
	assert_int_equal(is->got, 0);
	assert_non_null(strstr(is->reason, "2 of"));
	is = find_issue(&f.cvs[0], "memory", "guard buf0+20");
	assert_non_null(is);
	assert_int_equal(is->got, 0x77);
	assert_int_equal(f.cvs[0].nissues, 2);
	fx_free(&f);

	/* The same damage left by a guest that was then lost (a destructive
	 * call took it down, as it may): the loss is declared, the damage is
	 * judged all the same. */
	int kill[] = { OP_KILL };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, kill);
	b = fx_buf(&f, 16, -1, HCF_DIR_IN);
	f.p.calls[0].ref[HCF_RSI].buf = (int16_t)b;
	*fx_byte(&f, b, -3) = 0x00;
	*fx_byte(&f, b, 4) = 0x99;
	f.r.calls[0].outcome = HCF_CO_GUEST_LOST;
	f.r.calls[0].lost_why = HCF_LIVE_SHUTDOWN;
	f.r.liveness = HCF_LIVE_SHUTDOWN;
	f.r.ndone = 0;
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	assert_non_null(find_issue(&f.cvs[0], "memory", "guard buf0-3"));
	assert_non_null(find_issue(&f.cvs[0], "memory", "buf0+4 (read-only)"));
	assert_int_equal(find_issue(&f.cvs[0], "liveness", NULL)->v, HCF_V_LOST);
	fx_free(&f);
}

/* A change is pinned on the call that passed a pointer into its page, not on
 * the buffer's own (earlier) user: hypervisors act on pages. */
static void test_memory_page_attribution(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_GET, OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 3, ops);
	int b0 = fx_buf(&f, 16, -1, HCF_DIR_IN);
	int b1 = fx_buf(&f, 16, -1, HCF_DIR_IN);
	/* both in one page, after the first guard: the way the target lays
	 * a program's buffers out */
	f.r.bufs[b0].gva = 0x600040;
	f.r.bufs[b1].gva = 0x600140;
	f.p.calls[0].ref[HCF_RSI].buf = (int16_t)b0;
	f.r.calls[0].before[HCF_RSI] = f.r.bufs[b0].gva;
	f.p.calls[1].ref[HCF_RSI].buf = (int16_t)b1;
	f.r.calls[1].before[HCF_RSI] = f.r.bufs[b1].gva;
	*fx_byte(&f, b0, -1) = 0x01; /* b0's guard, written through b1's page */
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	assert_non_null(find_issue(&f.cvs[1], "memory", "guard buf0-1"));
	expect_only(&f.cvs[0], HCF_V_PASS);
	expect_only(&f.cvs[2], HCF_V_PASS);
	fx_free(&f);
}

static void test_memory_fields(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_WALL, OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 3, ops);
	int b = fx_buf(&f, 24, ST_WALL, HCF_DIR_IN);
	f.p.calls[1].ref[HCF_RDI].buf = (int16_t)b;
	/* OUT fields may change. */
	*fx_byte(&f, b, 8) = 0xaa;
	*fx_byte(&f, b, 15) = 0xbb;
	/* status stays 0x13121110: not an allowed error, so give it 0 */
	memset(fx_byte(&f, b, 0), 0, 4);
	assert_int_equal(fx_check(&f), HCF_V_PASS);

	/* The IN field flags (4..8) and padding (16..20) may not. Both are
	 * the walltime call's doing: it is the last call referencing it. */
	*fx_byte(&f, b, 5) = 0;
	*fx_byte(&f, b, 6) = 0;
	*fx_byte(&f, b, 17) = 0;
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	expect_only(&f.cvs[0], HCF_V_PASS);
	expect_only(&f.cvs[2], HCF_V_PASS);
	const struct hcf_issue *is = find_issue(&f.cvs[1], "memory", "buf0+5 (walltime.flags)");
	assert_non_null(is);
	assert_int_equal(is->expected, 0x15);
	assert_int_equal(is->got, 0);
	assert_non_null(strstr(is->reason, "2 of 4"));
	assert_non_null(find_issue(&f.cvs[1], "memory", "buf0+17 (walltime padding)"));
	fx_free(&f);
}

static void test_memory_raw_and_relocs(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, ops);
	int outer = fx_buf(&f, 32, -1, HCF_DIR_IN);
	int inner = fx_buf(&f, 8, -1, HCF_DIR_IN);
	/* outer holds a pointer to inner at byte 8, patched by the target */
	f.p.bufs[outer].relocs[0] = (struct hcf_buf_reloc){ .at = 8, .buf = (int16_t)inner };
	f.p.bufs[outer].nrelocs = 1;
	for (int i = 0; i < 8; i++)
		*fx_byte(&f, outer, 8 + i) = (uint8_t)(0x40 + i);
	f.p.calls[0].ref[HCF_RDI].buf = (int16_t)outer;
	assert_int_equal(fx_check(&f), HCF_V_PASS);

	/* A read-only raw buffer reached only through the pointer changes:
	 * blamed on call 0, the last one that can reach it. */
	*fx_byte(&f, inner, 2) = 0;
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	assert_non_null(find_issue(&f.cvs[0], "memory", "buf1+2 (read-only)"));
	expect_only(&f.cvs[1], HCF_V_PASS);
	fx_free(&f);
}

static void test_memory_stray_page(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_GET, OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 3, ops);
	f.r.calls[2].outcome = HCF_CO_NOT_RUN;
	f.r.ndone = 2;
	fx_page(&f, 0x7000, 0x10, 1);
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	const struct hcf_issue *is = find_issue(&f.cvs[1], "memory", "page 0x7000");
	assert_non_null(is);
	assert_non_null(strstr(is->reason, "where the agent does not write"));
	assert_int_equal(is->loc.kind, HCF_LOC_PAGE);
	assert_int_equal(is->loc.addr, 0x7010);
	expect_only(&f.cvs[0], HCF_V_PASS);
	fx_free(&f);
}

/* How many memory-oracle issues the program got, over all calls. */
static size_t memory_issues(const struct fx *f)
{
	size_t n = 0;
	for (size_t i = 0; i < f->p.ncalls; i++)
		for (size_t k = 0; k < f->cvs[i].nissues; k++)
			n += !strcmp(f->cvs[i].issues[k].oracle, "memory");
	return n;
}

/*
 * A call pointing a struct at memory tells the hypervisor where its OUT
 * fields are: those bytes may change wherever they fall (rounded down by
 * align_down), in a buffer of another call or in a page outside the agent's
 * writable areas. IN fields there may not.
 */
static void test_memory_pointed_struct(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_WALL, OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 3, ops);
	f.abi->structs[ST_WALL].align_down = 0x40;
	int b = fx_buf(&f, 64, -1, HCF_DIR_IN); /* read-only raw: nothing may change */
	f.r.bufs[b].gva = 0x600040;
	f.p.calls[0].ref[HCF_RSI].buf = (int16_t)b;
	f.r.calls[0].before[HCF_RSI] = 0x600040;
	/* walltime is told 0x600047: rounded down, the struct is the buffer's
	 * first 24 bytes: status 0..4 and nsecs 8..16 are OUT */
	f.r.calls[1].before[HCF_RDI] = f.r.calls[1].after[HCF_RDI] = 0x600047;
	*fx_byte(&f, b, 1) = 0xee;
	*fx_byte(&f, b, 12) = 0xee;
	fx_check(&f);
	assert_int_equal(memory_issues(&f), 0);

	/* without the rounding, the struct starts at byte 7: byte 1 is not its */
	f.abi->structs[ST_WALL].align_down = 1;
	fx_check(&f);
	assert_non_null(find_issue(&f.cvs[0], "memory", "buf0+1 (read-only)"));
	f.abi->structs[ST_WALL].align_down = 0x40;

	/* flags (4..8) is IN: still the hypervisor's to leave alone */
	*fx_byte(&f, b, 5) = 0xee;
	fx_check(&f);
	assert_non_null(find_issue(&f.cvs[0], "memory", "buf0+5 (read-only)"));
	assert_null(find_issue(&f.cvs[0], "memory", "buf0+1 (read-only)"));
	*fx_byte(&f, b, 5) = 0x15;

	/* a call that never ran told the hypervisor nothing */
	f.r.calls[1].outcome = f.r.calls[2].outcome = HCF_CO_NOT_RUN;
	f.r.ndone = 1;
	fx_check(&f);
	assert_int_equal(memory_issues(&f), 1);
	assert_non_null(strstr(find_issue(&f.cvs[0], "memory", "buf0+1 (read-only)")->reason,
			       "2 of 64"));
	fx_free(&f);

	/* A changed page outside the writable areas, where a struct was
	 * pointed: the bytes of its OUT fields are the call's doing, no
	 * finding; a byte of the page beside them, or another page, still is
	 * one. */
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 3, ops);
	f.abi->structs[ST_WALL].align_down = 0x1000;
	f.r.calls[1].before[HCF_RDI] = f.r.calls[1].after[HCF_RDI] = 0x7010;
	struct hcf_page_change *pc = fx_page(&f, 0x7000, 0x08, 8); /* nsecs: OUT */
	fx_check(&f);
	assert_int_equal(memory_issues(&f), 0);
	pc->changed[0] |= 1ull << 0x14; /* clock_id: IN */
	fx_check(&f);
	assert_int_equal(memory_issues(&f), 1);
	const struct hcf_issue *pis = find_issue(&f.cvs[2], "memory", "page 0x7000");
	assert_non_null(pis);
	assert_int_equal(pis->loc.addr, 0x7014);
	assert_int_equal(pis->loc.nbytes, 1);
	pc->changed[0] &= ~(1ull << 0x14);
	f.r.pages[0].gpa = 0x9000;
	fx_check(&f);
	assert_int_equal(memory_issues(&f), 1);
	assert_non_null(find_issue(&f.cvs[2], "memory", "page 0x9000"));
	fx_free(&f);
}

/* pointers: the argument points to a struct only while the op's inputs meet
 * its condition (an MSR index); otherwise it is a number and the bytes at
 * that address are not the call's to write. The first item that holds wins. */
static void test_memory_pointers(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_WALL };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, ops);
	struct hcf_op *wall = &f.abi->ops[OP_WALL];
	arg_add(wall, "kind", HCF_RSI, 32, HCF_DIR_IN);
	struct hcf_arg *wt = &wall->args[0];
	wt->struct_idx = -1;
	wt->pointers = calloc(1, sizeof(*wt->pointers));
	assert_non_null(wt->pointers);
	wt->npointers = 1;
	struct hcf_arg_pointer *ap = &wt->pointers[0];
	ap->struct_idx = ST_WALL;
	ap->when.p = calloc(1, sizeof(*ap->when.p));
	assert_non_null(ap->when.p);
	ap->when.n = 1;
	ap->when.p[0] = (struct hcf_pred){ .reg = HCF_RSI, .width = 32, .mask = ~0ull };
	abi_vset_add(&ap->when.p[0].set, 7, 7);
	int b = fx_buf(&f, 64, -1, HCF_DIR_IN);
	f.r.bufs[b].gva = 0x600040;
	f.p.calls[0].ref[HCF_RSI].buf = (int16_t)b;
	f.r.calls[0].before[HCF_RSI] = f.r.calls[0].after[HCF_RSI] = 0x600040;
	f.r.calls[1].before[HCF_RDI] = f.r.calls[1].after[HCF_RDI] = 0x600040;
	*fx_byte(&f, b, 9) = 0xee; /* walltime.nsecs, if rdi is a walltime */

	/* only the low 32 bits of kind count: its width */
	f.r.calls[1].before[HCF_RSI] = f.r.calls[1].after[HCF_RSI] = 0xdead000000000007ull;
	fx_check(&f);
	assert_int_equal(memory_issues(&f), 0);

	f.r.calls[1].before[HCF_RSI] = f.r.calls[1].after[HCF_RSI] = 8;
	fx_check(&f);
	assert_int_equal(memory_issues(&f), 1);
	assert_non_null(find_issue(&f.cvs[0], "memory", "buf0+9 (read-only)"));
	fx_free(&f);
}

/*
 * A pointer with a count names an array: walltime's rdi points at rsi's
 * count of walltime structs, one after the other. The buffer holds four;
 * the hypervisor may write the OUT fields (status 0..4, nsecs 8..16) of
 * every element the count names, in the buffer or past it, and nothing else.
 */
static void array_fx(struct fx *f, uint64_t count)
{
	int ops[] = { OP_WALL };
	fx_make(f, test_abi(HCF_XPORT_VMCALL), 1, ops);
	struct hcf_op *wall = &f->abi->ops[OP_WALL];
	arg_add(wall, "n", HCF_RSI, 32, HCF_DIR_IN);
	wall->args[0].count_arg = 1;
	f->abi->structs[ST_WALL].array_element = true;
	int b = fx_buf(f, 4 * 24, ST_WALL, HCF_DIR_IN);
	f->p.calls[0].ref[HCF_RDI].buf = (int16_t)b;
	f->r.calls[0].before[HCF_RDI] = f->r.calls[0].after[HCF_RDI] = f->r.bufs[b].gva;
	/* garbage above the count's 32 bits is not part of it */
	f->r.calls[0].before[HCF_RSI] = f->r.calls[0].after[HCF_RSI] = 0x5e5e000000000000ull | count;
	memset(fx_byte(f, b, 0), 0, 4); /* element 0's status: success */
}

static void test_memory_array(void **state)
{
	(void)state;
	static const struct {
		uint64_t count;
		int off;                /* the byte written, from the buffer's start */
		enum hcf_verdict v;
		const char *where, *reason;
	} cases[] = {
		/* element 3 of the four laid out */
		{ 6, 3 * 24 + 8, HCF_V_PASS, NULL, NULL },             /* nsecs */
		{ 6, 3 * 24 + 1, HCF_V_PASS, NULL, NULL },             /* status */
		{ 6, 3 * 24 + 4, HCF_V_FAIL, "buf0+76 (walltime[3].flags)", "IN field walltime[3].flags" },
		/* the array goes on past the buffer: elements 4 and 5 lie in its guard */
		{ 6, 4 * 24 + 8, HCF_V_PASS, NULL, NULL },
		{ 6, 5 * 24 + 2, HCF_V_PASS, NULL, NULL },
		{ 6, 4 * 24 + 4, HCF_V_FAIL, "guard buf0+100", NULL }, /* an IN field there */
		{ 6, 6 * 24 + 8, HCF_V_FAIL, "guard buf0+152", NULL }, /* past the last element */
		/* a count of 4: the buffer's last element is the last */
		{ 4, 4 * 24 + 8, HCF_V_FAIL, "guard buf0+104", NULL },
		/* a count of 2 over four laid out: elements 2 and 3 are not the call's */
		{ 2, 1 * 24 + 8, HCF_V_PASS, NULL, NULL },
		{ 2, 3 * 24 + 8, HCF_V_FAIL, "buf0+80 (walltime[3].nsecs)", "no call's count reaches" },
		/* a count of 0: only what the buffer's own struct allows, its first element */
		{ 0, 8, HCF_V_PASS, NULL, NULL },
		{ 0, 1 * 24 + 8, HCF_V_FAIL, "buf0+32 (walltime[1].nsecs)", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx f;
		array_fx(&f, cases[i].count);
		*fx_byte(&f, 0, cases[i].off) = 0xee;
		if (fx_check(&f) != cases[i].v)
			fail_msg("count %llu, byte %d: verdict %s", (unsigned long long)cases[i].count,
				 cases[i].off, hcf_verdict_name(f.cvs[0].v));
		if (cases[i].where) {
			assert_int_equal(memory_issues(&f), 1);
			const struct hcf_issue *is = find_issue(&f.cvs[0], "memory", cases[i].where);
			if (!is)
				fail_msg("count %llu, byte %d: no issue at %s", (unsigned long long)cases[i].count,
					 cases[i].off, cases[i].where);
			assert_true(!cases[i].reason || strstr(is->reason, cases[i].reason));
		}
		fx_free(&f);
	}
}

/* Strided spans: the bytes of a window one field of each element covers,
 * found without walking the elements before the window. */
static void test_span_clip(void **state)
{
	(void)state;
	/* field 8..16 of 24-byte elements at 0x1000, 0x10000000 of them */
	struct hcf_span s = { .lo = 0x1008, .hi = 0x1010, .stride = 24, .n = 0x10000000 };
	uint8_t map[64] = { 0 };
	assert_int_equal(hcf_span_clip(&s, 0x1000, 0x1040, map), 8 + 8 + 8);
	assert_int_equal(map[7], 0);
	assert_int_equal(map[8], 1);
	assert_int_equal(map[15], 1);
	assert_int_equal(map[16], 0);
	assert_int_equal(map[32], 1); /* element 1: 0x1020..0x1028 */
	assert_int_equal(map[56], 1); /* element 2: 0x1038..0x1040 */
	/* a window far into the array, between two copies and across one */
	uint64_t k = 0x123456, at = 0x1000 + k * 24;
	assert_int_equal(hcf_span_clip(&s, at + 16, at + 24, NULL), 0);
	assert_int_equal(hcf_span_clip(&s, at + 12, at + 34, NULL), 4 + 2);
	/* past the last element, and below the first */
	assert_int_equal(hcf_span_clip(&s, 0x1000 + 0x10000000ull * 24, 0x1000 + 0x10000001ull * 24,
				       NULL), 0);
	assert_int_equal(hcf_span_clip(&s, 0, 0x1008, NULL), 0);
	/* one struct: n 1, stride ignored */
	struct hcf_span one = { .lo = 0x10, .hi = 0x18, .stride = 0, .n = 1 };
	assert_int_equal(hcf_span_clip(&one, 0, 0x100, NULL), 8);
}

/* The spans of a counted pointer: one per OUT field, as many copies as the
 * count says, none that would wrap past 2^64. */
static void test_call_writes_array(void **state)
{
	struct fx f;
	array_fx(&f, 0xffffffff);
	const struct hcf_op *wall = &f.abi->ops[OP_WALL];
	struct hcf_span w[8];
	uint64_t before[HCF_NGPR] = { 0 };
	before[HCF_RDI] = 0x600000;
	before[HCF_RSI] = 0xffffffff;
	size_t n = hcf_oracle_call_writes(f.abi, wall, before, w, 8);
	assert_int_equal(n, 2); /* status, nsecs */
	assert_int_equal(w[1].lo, 0x600008);
	assert_int_equal(w[1].stride, 24);
	assert_int_equal(w[1].n, 0xffffffff);
	before[HCF_RSI] = 0;
	assert_int_equal(hcf_oracle_call_writes(f.abi, wall, before, w, 8), 0);
	/* an array at the top of the address space ends there */
	before[HCF_RDI] = 0xffffffffffffff00ull;
	before[HCF_RSI] = 100;
	assert_int_equal(hcf_oracle_call_writes(f.abi, wall, before, w, 8), 2);
	assert_int_equal(w[1].n, (0xff - 0x10) / 24 + 1);
	assert_true(w[1].hi + (w[1].n - 1) * 24 > w[1].hi);
	fx_free(&f);
}

static void test_memory_bad_shapes(void **state)
{
	struct fx f;
	int ops[] = { OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, ops);
	int b = fx_buf(&f, 16, -1, HCF_DIR_IN);
	f.r.bufs[b].size = 4000; /* does not match the program: never read past cap */
	assert_int_equal(fx_check(&f), HCF_V_ERROR);
	f.r.bufs[b].size = 16;
	f.r.bufs[b].valid = false;
	assert_int_equal(fx_check(&f), HCF_V_SKIP);
	/* Fewer buffers than the program has: the target's fault ... */
	f.r.bufs[b].valid = true;
	f.r.nbufs = 0;
	assert_int_equal(fx_check(&f), HCF_V_ERROR);
	/* ... also when the guest is gone: its memory is still there to read
	 * (and the loss is the liveness oracle's finding beside it). */
	f.r.calls[0].outcome = HCF_CO_GUEST_LOST;
	f.r.calls[0].lost_why = HCF_LIVE_SHUTDOWN;
	f.r.liveness = HCF_LIVE_SHUTDOWN;
	assert_int_equal(fx_check(&f), HCF_V_CRASH);
	assert_int_equal(f.cvs[0].nissues, 2);
	assert_non_null(find_issue(&f.cvs[0], "memory", NULL));
	f.r.nbufs = 1;
	fx_free(&f);
}

/* ---- liveness ---------------------------------------------------------- */

static void test_liveness(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_GET, OP_GET };

	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 3, ops);
	f.r.calls[1].outcome = HCF_CO_HANG;
	f.r.calls[1].lost_why = HCF_LIVE_HANG;
	f.r.calls[1].after[HCF_RBX] = 0; /* garbage: never judged */
	f.r.calls[2].outcome = HCF_CO_NOT_RUN;
	f.r.liveness = HCF_LIVE_HANG;
	assert_int_equal(fx_check(&f), HCF_V_HANG);
	expect_only(&f.cvs[1], HCF_V_HANG);
	assert_int_equal(f.cvs[1].nissues, 1);
	assert_non_null(strstr(f.cvs[1].issues[0].reason, "no progress within the watchdog"));
	expect_only(&f.cvs[2], HCF_V_SKIP);
	assert_non_null(strstr(f.cvs[2].issues[0].reason, "not run: the program stopped at call 1"));
	fx_free(&f);

	/* no call ran at all (the target could not start the program: a
	 * result of no calls): the loss is the first call's, an ERROR */
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 3, ops);
	f.r.ncalls = f.r.ndone = 0;
	f.r.liveness = HCF_LIVE_HARNESS;
	snprintf(f.r.detail, sizeof(f.r.detail), "the target could not go back to its boot snapshot");
	assert_int_equal(fx_check(&f), HCF_V_ERROR);
	expect_only(&f.cvs[0], HCF_V_ERROR);
	f.r.ncalls = 3;
	fx_free(&f);

	/* the same hang in a destructive call that may end the guest: a hang
	 * inside the hypervisor is never a declared way to end it */
	int dops[] = { OP_GET, OP_KILL, OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 3, dops);
	f.r.calls[1].outcome = HCF_CO_HANG;
	f.r.calls[1].lost_why = HCF_LIVE_HANG;
	f.r.calls[2].outcome = HCF_CO_NOT_RUN;
	f.r.liveness = HCF_LIVE_HANG;
	assert_int_equal(fx_check(&f), HCF_V_HANG);
	expect_only(&f.cvs[1], HCF_V_HANG);
	fx_free(&f);

	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 3, ops);
	f.r.calls[0].outcome = HCF_CO_GUEST_LOST;
	f.r.calls[0].lost_why = HCF_LIVE_INTERNAL_ERROR;
	f.r.calls[0].detail = "emulation failure";
	f.r.calls[1].outcome = f.r.calls[2].outcome = HCF_CO_NOT_RUN;
	f.r.liveness = HCF_LIVE_INTERNAL_ERROR;
	assert_int_equal(fx_check(&f), HCF_V_CRASH);
	expect_only(&f.cvs[0], HCF_V_CRASH);
	assert_non_null(strstr(f.cvs[0].issues[0].reason, "KVM internal error"));
	assert_non_null(strstr(f.cvs[0].issues[0].reason, "emulation failure"));
	fx_free(&f);

	/* Destructive and declaring a shutdown: an expected loss, shown. */
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, (int[]){ OP_KILL });
	f.r.calls[0].outcome = HCF_CO_GUEST_LOST;
	f.r.calls[0].lost_why = HCF_LIVE_SHUTDOWN;
	f.r.liveness = HCF_LIVE_SHUTDOWN;
	assert_int_equal(fx_check(&f), HCF_V_LOST);
	assert_int_equal(f.cvs[0].nissues, 1);
	assert_non_null(strstr(f.cvs[0].issues[0].reason, "kill declares"));
	assert_int_equal(f.cvs[0].issues[0].lost, HCF_LIVE_SHUTDOWN);
	fx_free(&f);

	/* ... but a harness failure is an ERROR even there. */
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, (int[]){ OP_KILL });
	f.r.calls[0].outcome = HCF_CO_GUEST_LOST;
	f.r.calls[0].lost_why = HCF_LIVE_HARNESS;
	f.r.liveness = HCF_LIVE_HARNESS;
	assert_int_equal(fx_check(&f), HCF_V_ERROR);
	fx_free(&f);

	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, (int[]){ OP_GET });
	f.r.calls[0].outcome = HCF_CO_BAD_RESULT;
	f.r.calls[0].after[HCF_RBX] = 0;
	assert_int_equal(fx_check(&f), HCF_V_ERROR);
	assert_int_equal(f.cvs[0].nissues, 1);
	assert_string_equal(f.cvs[0].issues[0].oracle, "liveness");
	fx_free(&f);

	/* Garbage outcome from a broken target. */
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, (int[]){ OP_GET });
	f.r.calls[0].outcome = (enum hcf_call_outcome)77;
	assert_int_equal(fx_check(&f), HCF_V_ERROR);
	fx_free(&f);
}

/*
 * A program that had the hypervisor write into the agent's own memory lost
 * the guest by its own doing: LOST on the pointing call, naming it and the
 * bytes, but only when that call succeeded and those bytes really changed.
 * A call that failed (an error code, an exception), bytes that did not
 * change, or a change beside the pointed bytes excuse nothing: CRASH.
 */
static void test_liveness_self_inflicted(void **state)
{
	static const struct {
		uint64_t at;           /* where call 0 (walltime) points */
		bool lost_in_call;     /* in call 1, or between the calls */
		unsigned changed_off;  /* the byte of the page that changed (its offset) */
		int64_t status;        /* walltime's status field (0: success) */
		bool raised;           /* walltime raised an exception instead */
		enum hcf_verdict v;
		const char *what;      /* the agent area named */
	} rows[] = {
		/* nsecs (8..16) of the struct at the page tables changed */
		{ HCF_GPA_PGTABLES + 0x10, false, 0x18, 0, false, HCF_V_LOST, "page tables" },
		{ HCF_GPA_AGENT + 0x800, true, 0x808, 0, false, HCF_V_LOST, "code and data" },
		/* the pointing call failed: nothing it did explains the loss */
		{ HCF_GPA_PGTABLES + 0x10, true, 0x18, EINVAL_, false, HCF_V_CRASH, NULL },
		{ HCF_GPA_PGTABLES + 0x10, true, 0x18, 0, true, HCF_V_CRASH, NULL },
		/* a byte beside the pointed ones changed (status is at 0x10..0x14:
		 * 0x14 is flags, an IN field) */
		{ HCF_GPA_PGTABLES + 0x10, true, 0x14, 0, false, HCF_V_CRASH, NULL },
		/* pointed into the arena: no agent memory was hit */
		{ HCF_GPA_ARENA + 0x100, false, 0x18, 0, false, HCF_V_CRASH, NULL },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fx f;
		int ops[] = { OP_WALL, OP_GET };
		fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, ops);
		/* walltime reports through its status field: a buffer holds it */
		int b = fx_buf(&f, 24, ST_WALL, HCF_DIR_INOUT);
		f.p.calls[0].ref[HCF_RDI].buf = (int16_t)b;
		memset(fx_byte(&f, b, 0), 0, 4);
		*fx_byte(&f, b, 0) = (uint8_t)rows[i].status;
		f.r.calls[0].before[HCF_RDI] = f.r.calls[0].after[HCF_RDI] = rows[i].at;
		if (rows[i].raised) {
			f.r.calls[0].outcome = HCF_CO_EXCEPTION;
			f.r.calls[0].vector = 13;
		}
		fx_page(&f, rows[i].at & ~0xfffull, (unsigned)(rows[i].changed_off & 0xfff), 1);
		if (rows[i].lost_in_call) {
			f.r.calls[1].outcome = HCF_CO_GUEST_LOST;
			f.r.calls[1].lost_why = HCF_LIVE_SHUTDOWN;
		} else {
			f.r.calls[1].outcome = HCF_CO_NOT_RUN;
			f.r.ndone = 1;
		}
		f.r.liveness = HCF_LIVE_SHUTDOWN;
		fx_check(&f);
		const char *where = rows[i].lost_in_call ? "outcome" : "program";
		const struct hcf_issue *is = find_issue(&f.cvs[rows[i].what ? 0 : 1], "liveness", where);
		if (!is)
			fail_msg("row %zu: no liveness issue", i);
		if (is->v != rows[i].v)
			fail_msg("row %zu: %s, expected %s: %s", i, hcf_verdict_name(is->v),
				 hcf_verdict_name(rows[i].v), is->reason);
		if (rows[i].what) {
			/* on the pointing call, naming it, the bytes and the loss's call */
			assert_non_null(strstr(is->reason, "call 0 (walltime)"));
			assert_non_null(strstr(is->reason, rows[i].what));
			assert_non_null(strstr(is->reason, "0x00 -> 0xff"));
			assert_int_equal(is->related, 1);
			const struct hcf_issue *echo = find_issue(&f.cvs[1], "liveness", where);
			assert_non_null(echo);
			assert_true(echo->consequence);
			assert_int_equal(echo->v, HCF_V_LOST);
		}
		fx_free(&f);
	}
}

/*
 * A guest that dies calls after the hypervisor wrote its page tables where
 * no call pointed it (PVM's VIF page registration rounds down to the page's
 * start), in a page a call pointed it into: the loss is blamed on that call,
 * with the verdict of an unexplained loss, not on the last destructive call
 * before the death; so a known anomaly of the pointing call that names the
 * loss accounts for it. A stray byte in a page no call pointed into, or in
 * a page the agent writes, explains nothing: the last destructive call is
 * blamed as before.
 */
static struct hcf_anomaly *anomaly_add(struct hcf_abi *abi, const char *id, int op,
				       enum hcf_anomaly_kind k);

static void test_liveness_late_stray_write(void **state)
{
	static const struct {
		uint64_t at;        /* where call 0 (walltime) points */
		uint64_t page;      /* the page with a stray byte (its byte 1) */
		bool agent_writes;  /* a page the agent writes itself */
		bool anomaly;       /* walltime has a known anomaly naming shutdowns */
		size_t on;          /* the call blamed */
		enum hcf_verdict v;
	} rows[] = {
		{ HCF_GPA_PGTABLES + 0x10, HCF_GPA_PGTABLES, false, false, 0, HCF_V_CRASH },
		{ HCF_GPA_PGTABLES + 0x10, HCF_GPA_PGTABLES, false, true, 0, HCF_V_XFAIL },
		/* pointed into another page: nothing ties the write to call 0 */
		{ HCF_GPA_ARENA + 0x100, HCF_GPA_PGTABLES, false, true, 1, HCF_V_CRASH },
		/* a page the agent writes: a changed byte there is no evidence */
		{ HCF_GPA_STACK_LO + 0x10, HCF_GPA_STACK_LO, true, true, 1, HCF_V_CRASH },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fx f;
		int ops[] = { OP_WALL, OP_RECONF, OP_GET };
		fx_make(&f, test_abi(HCF_XPORT_VMCALL), 3, ops);
		int b = fx_buf(&f, 24, ST_WALL, HCF_DIR_INOUT);
		f.p.calls[0].ref[HCF_RDI].buf = (int16_t)b;
		memset(fx_byte(&f, b, 0), 0, 4); /* status 0: walltime succeeded */
		f.r.calls[0].before[HCF_RDI] = f.r.calls[0].after[HCF_RDI] = rows[i].at;
		fx_page_as(&f, rows[i].page, 1, 1, rows[i].agent_writes);
		if (rows[i].anomaly) {
			struct hcf_anomaly *a = anomaly_add(f.abi, "rounds-down", OP_WALL,
							    HCF_ANOM_OUTCOME);
			a->outcomes = 1u << HCF_LIVE_SHUTDOWN;
		}
		f.r.calls[2].outcome = HCF_CO_GUEST_LOST;
		f.r.calls[2].lost_why = HCF_LIVE_SHUTDOWN;
		f.r.liveness = HCF_LIVE_SHUTDOWN;
		fx_check(&f);
		const struct hcf_issue *is = find_issue(&f.cvs[rows[i].on], "liveness", "outcome");
		if (!is)
			fail_msg("row %zu: no liveness issue on call %zu", i, rows[i].on);
		if (is->v != rows[i].v)
			fail_msg("row %zu: %s, expected %s: %s", i, hcf_verdict_name(is->v),
				 hcf_verdict_name(rows[i].v), is->reason);
		assert_false(is->consequence);
		assert_int_equal(is->related, 2);
		if (rows[i].on == 0) {
			assert_non_null(strstr(is->reason, "call 0 (walltime) pointed the hypervisor "
							   "into the agent's page tables"));
			assert_non_null(strstr(is->reason, "first at 0x8001 (0x00 -> 0xff)"));
		}
		const struct hcf_issue *echo = find_issue(&f.cvs[2], "liveness", "outcome");
		assert_non_null(echo);
		assert_true(echo->consequence);
		assert_int_equal(echo->v, rows[i].v);
		/* the innocent destructive call is blamed only when nothing else explains it */
		if (rows[i].on == 0)
			assert_null(find_issue(&f.cvs[1], "liveness", "outcome"));
		fx_free(&f);
	}
}

/* A loss after a destructive call returned is that call's: LOST on it when
 * it declares the loss, CRASH on it when it does not, naming the call the
 * guest died in (which carries the same verdict as a consequence); the
 * innocent call is never blamed alone. Undeclarable losses stay what they
 * are whatever came before. */
static void test_liveness_blame(void **state)
{
	static const struct {
		int first;             /* the call before the loss */
		enum hcf_liveness why; /* the loss, during call 1 (get) */
		enum hcf_verdict v;
		size_t on;             /* the call the issue is on */
	} rows[] = {
		{ OP_KILL, HCF_LIVE_SHUTDOWN, HCF_V_LOST, 0 },
		{ OP_RECONF, HCF_LIVE_SHUTDOWN, HCF_V_CRASH, 0 },
		{ OP_GET, HCF_LIVE_SHUTDOWN, HCF_V_CRASH, 1 },
		{ OP_KILL, HCF_LIVE_AGENT_PANIC, HCF_V_CRASH, 0 }, /* kill declares shutdowns only */
		{ OP_KILL, HCF_LIVE_INTERNAL_ERROR, HCF_V_CRASH, 0 },
		{ OP_KILL, HCF_LIVE_HANG, HCF_V_HANG, 0 },
		{ OP_KILL, HCF_LIVE_ENTRY_FAILED, HCF_V_CRASH, 0 },
		{ OP_KILL, HCF_LIVE_UNEXPECTED_EXIT, HCF_V_CRASH, 0 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fx f;
		int ops[] = { rows[i].first, OP_GET, OP_GET };
		fx_make(&f, test_abi(HCF_XPORT_VMCALL), 3, ops);
		f.r.calls[1].outcome = rows[i].why == HCF_LIVE_HANG ? HCF_CO_HANG : HCF_CO_GUEST_LOST;
		f.r.calls[1].lost_why = rows[i].why;
		f.r.calls[2].outcome = HCF_CO_NOT_RUN;
		f.r.liveness = rows[i].why;
		f.r.ndone = 1;
		enum hcf_verdict worst = fx_check(&f);
		const struct hcf_issue *is = find_issue(&f.cvs[rows[i].on], "liveness", "outcome");
		if (!is || is->v != rows[i].v || is->consequence)
			fail_msg("row %zu: %s on call %zu, expected %s", i,
				 is ? hcf_verdict_name(is->v) : "nothing", rows[i].on,
				 hcf_verdict_name(rows[i].v));
		assert_int_equal(worst, hcf_verdict_worst(rows[i].v, HCF_V_SKIP));
		assert_int_equal(is->lost, rows[i].why);
		if (rows[i].on == 0) {
			/* both calls named, the loss's own call carries it too */
			assert_non_null(strstr(is->reason, "during call 1 (get)"));
			assert_int_equal(is->related, 1);
			const struct hcf_issue *echo = find_issue(&f.cvs[1], "liveness", "outcome");
			assert_non_null(echo);
			assert_true(echo->consequence);
			assert_int_equal(echo->v, rows[i].v);
			assert_non_null(strstr(echo->reason, "blamed on call 0"));
		}
		fx_free(&f);
	}
}

/* A declared loss holds only for the inputs its condition names. */
static void test_liveness_loss_condition(void **state)
{
	struct fx f;
	int ops[] = { OP_KILL };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, ops);
	struct hcf_loss *l = &f.abi->ops[OP_KILL].losses[0];
	l->when.p = calloc(1, sizeof(*l->when.p));
	assert_non_null(l->when.p);
	l->when.n = 1;
	l->when.p[0] = (struct hcf_pred){ .reg = HCF_RBX, .width = 64, .mask = 0xfff, .negate = true };
	abi_vset_add(&l->when.p[0].set, 0, 0); /* only when rbx is not page-aligned */
	f.r.calls[0].outcome = HCF_CO_GUEST_LOST;
	f.r.calls[0].lost_why = HCF_LIVE_SHUTDOWN;
	f.r.liveness = HCF_LIVE_SHUTDOWN;
	f.r.calls[0].before[HCF_RBX] = 0x8001;
	assert_int_equal(fx_check(&f), HCF_V_LOST);
	f.r.calls[0].before[HCF_RBX] = 0x8000;
	assert_int_equal(fx_check(&f), HCF_V_CRASH);
	assert_non_null(strstr(f.cvs[0].issues[0].reason, "declares no such loss"));
	fx_free(&f);
}

/* A call that hands the guest over to the program's code (an event return
 * to a context the program describes): every way the guest itself ends is
 * the program's (LOST), garbage included, and memory is not judged after
 * it; what only the hypervisor does stays a verdict, and so does anything
 * for inputs where the call does not hand over. */
static void test_liveness_hands_over(void **state)
{
	static const struct {
		int op;
		enum hcf_call_outcome outcome;
		enum hcf_liveness why;   /* the program's liveness */
		uint64_t rbx;            /* hands over only for rbx < 0x1000 */
		enum hcf_verdict v;
		bool memory_judged;
	} rows[] = {
		{ OP_RECONF, HCF_CO_GUEST_LOST, HCF_LIVE_SHUTDOWN, 0x10, HCF_V_LOST, false },
		{ OP_RECONF, HCF_CO_GUEST_LOST, HCF_LIVE_RUNAWAY, 0x10, HCF_V_LOST, false },
		{ OP_RECONF, HCF_CO_GUEST_LOST, HCF_LIVE_AGENT_PANIC, 0x10, HCF_V_LOST, false },
		{ OP_RECONF, HCF_CO_GUEST_LOST, HCF_LIVE_PROTOCOL, 0x10, HCF_V_LOST, false },
		{ OP_RECONF, HCF_CO_BAD_RESULT, HCF_LIVE_OK, 0x10, HCF_V_LOST, false },
		{ OP_RECONF, HCF_CO_BAD_RESULT, HCF_LIVE_SHUTDOWN, 0x10, HCF_V_LOST, false },
		/* the hypervisor's own failures */
		{ OP_RECONF, HCF_CO_GUEST_LOST, HCF_LIVE_INTERNAL_ERROR, 0x10, HCF_V_CRASH, false },
		{ OP_RECONF, HCF_CO_HANG, HCF_LIVE_HANG, 0x10, HCF_V_HANG, false },
		/* inputs it does not hand over for: an undeclared loss, memory judged */
		{ OP_RECONF, HCF_CO_GUEST_LOST, HCF_LIVE_SHUTDOWN, 0x2000, HCF_V_CRASH, true },
		{ OP_RECONF, HCF_CO_GUEST_LOST, HCF_LIVE_RUNAWAY, 0x2000, HCF_V_CRASH, true },
		/* a call that never hands over */
		{ OP_GET, HCF_CO_GUEST_LOST, HCF_LIVE_RUNAWAY, 0x10, HCF_V_CRASH, true },
		{ OP_GET, HCF_CO_BAD_RESULT, HCF_LIVE_OK, 0x10, HCF_V_ERROR, true },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fx f;
		int ops[] = { OP_GET, rows[i].op };
		fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, ops);
		struct hcf_op *ro = &f.abi->ops[OP_RECONF];
		ro->hands_over = xs("resumes at rip = rbx");
		ro->hands_over_rip = HCF_REG_NONE;
		ro->hands_over_when.p = calloc(1, sizeof(*ro->hands_over_when.p));
		assert_non_null(ro->hands_over_when.p);
		ro->hands_over_when.n = 1;
		ro->hands_over_when.p[0] = (struct hcf_pred){ .reg = HCF_RBX, .width = 64,
							      .mask = ~0ull };
		abi_vset_add(&ro->hands_over_when.p[0].set, 0, 0xfff);
		f.r.calls[1].before[HCF_RBX] = rows[i].rbx;
		f.r.calls[1].outcome = rows[i].outcome;
		f.r.calls[1].lost_why = rows[i].outcome == HCF_CO_BAD_RESULT ? HCF_LIVE_PROTOCOL
									      : rows[i].why;
		f.r.liveness = rows[i].why;
		f.r.ndone = 1;
		fx_page(&f, 0x7000, 0x10, 4); /* a page nobody may write changed */
		fx_check(&f);
		const struct hcf_issue *is = find_issue(&f.cvs[1], "liveness", "outcome");
		if (!is || is->v != rows[i].v)
			fail_msg("row %zu: %s, expected %s%s%s", i, is ? hcf_verdict_name(is->v) : "nothing",
				 hcf_verdict_name(rows[i].v), is ? ": " : "", is ? is->reason : "");
		if (rows[i].v == HCF_V_LOST && rows[i].op == OP_RECONF)
			assert_non_null(strstr(is->reason, "hands the guest over"));
		bool judged = find_issue(&f.cvs[1], "memory", NULL) != NULL;
		if (judged != rows[i].memory_judged)
			fail_msg("row %zu: memory %sjudged", i, judged ? "" : "not ");
		fx_free(&f);
	}
}

/* A hand-over whose rip the program put in the agent's own code: the agent
 * reports as if the call came back. That report, and everything after it,
 * is the program's doing: LOST on the call, SKIP after, memory not judged;
 * with the rip outside the agent, a return is the hypervisor's and judged. */
static void test_liveness_resumed_in_agent(void **state)
{
	for (int in_agent = 0; in_agent < 2; in_agent++) {
		struct fx f;
		int ops[] = { OP_RECONF, OP_GET };
		fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, ops);
		struct hcf_op *ro = &f.abi->ops[OP_RECONF];
		ro->hands_over = xs("resumes at rip = rbx");
		ro->hands_over_rip = HCF_RBX;
		uint64_t rip = in_agent ? HCF_GPA_AGENT + 0xf1e : 0x600040;
		f.r.calls[0].before[HCF_RBX] = rip;
		f.r.calls[0].after[HCF_RBX] = rip;
		f.r.calls[0].after[HCF_RSP] = 0; /* the resumed context's */
		f.r.calls[1].after[HCF_RAX] = 7; /* a wrong value, if it were judged */
		fx_page(&f, 0x7000, 0x10, 4);
		fx_check(&f);
		const struct hcf_issue *is = find_issue(&f.cvs[0], "liveness", "outcome");
		if (in_agent) {
			assert_non_null(is);
			assert_int_equal(is->v, HCF_V_LOST);
			assert_non_null(strstr(is->reason, "in the agent's own code"));
			assert_int_equal(f.cvs[0].v, HCF_V_LOST);
			assert_int_equal(f.cvs[1].v, HCF_V_SKIP);
			assert_null(find_issue(&f.cvs[1], "memory", NULL));
		} else {
			assert_null(is);
			assert_non_null(find_issue(&f.cvs[0], "clobber", "rsp"));
			assert_non_null(find_issue(&f.cvs[1], "memory", NULL));
		}
		fx_free(&f);
	}
}

/* A report that is garbage, and then the guest ended: the loss is the
 * call's, judged by what it declares; garbage alone stays an ERROR. */
static void test_liveness_garbled_then_lost(void **state)
{
	static const struct {
		int op;
		enum hcf_liveness why;
		enum hcf_verdict v;
	} rows[] = {
		{ OP_KILL, HCF_LIVE_SHUTDOWN, HCF_V_LOST },
		{ OP_GET, HCF_LIVE_SHUTDOWN, HCF_V_CRASH },
		{ OP_KILL, HCF_LIVE_OK, HCF_V_ERROR },
		{ OP_KILL, HCF_LIVE_PROTOCOL, HCF_V_ERROR },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fx f;
		fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, (int[]){ rows[i].op });
		f.r.calls[0].outcome = HCF_CO_BAD_RESULT;
		f.r.calls[0].lost_why = HCF_LIVE_PROTOCOL;
		f.r.liveness = rows[i].why;
		f.r.ndone = 1;
		fx_check(&f);
		const struct hcf_issue *is = find_issue(&f.cvs[0], "liveness", "outcome");
		if (!is || is->v != rows[i].v)
			fail_msg("row %zu: %s, expected %s", i, is ? hcf_verdict_name(is->v) : "nothing",
				 hcf_verdict_name(rows[i].v));
		if (rows[i].why == HCF_LIVE_SHUTDOWN)
			assert_non_null(strstr(is->reason, "its report garbled first"));
		fx_free(&f);
	}
}

/* The call the guest died in pointed the hypervisor at agent memory that
 * really changed there: its write, the program's doing. */
/*
 * What follows a write over the agent's own memory is the program's doing,
 * when the bytes show it: an exception at an instruction the write replaced
 * (LOST, and the calls after it not judged), a hang with the vCPU in the
 * agent's code (LOST); without that evidence both are judged as ever.
 */
static void test_self_inflicted_exception_and_hang(void **state)
{
	static const struct {
		bool hang;             /* call 1 hangs; else call 0 raises */
		uint64_t rip;          /* the faulting instruction / where the vCPU was */
		enum hcf_verdict v;    /* call 0's exception issue, or call 1's loss */
	} rows[] = {
		{ false, HCF_GPA_AGENT + 0x808, HCF_V_LOST },  /* a replaced byte */
		{ false, HCF_GPA_AGENT + 0x100, HCF_V_FAIL },  /* code the write left alone */
		{ true, HCF_GPA_AGENT + 0x10, HCF_V_LOST },    /* looping in the agent */
		{ true, 0x700000, HCF_V_HANG },                /* elsewhere: the host's */
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fx f;
		int ops[] = { OP_WALL, OP_GET };
		fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, ops);
		int b = fx_buf(&f, 24, ST_WALL, HCF_DIR_INOUT);
		f.p.calls[0].ref[HCF_RDI].buf = (int16_t)b;
		memset(fx_byte(&f, b, 0), 0, 4); /* status 0: success */
		f.r.calls[0].before[HCF_RDI] = f.r.calls[0].after[HCF_RDI] = HCF_GPA_AGENT + 0x800;
		fx_page(&f, HCF_GPA_AGENT, 0x808, 1);
		if (rows[i].hang) {
			f.r.calls[1].outcome = HCF_CO_HANG;
			f.r.calls[1].lost_why = HCF_LIVE_HANG;
			f.r.calls[1].has_lost_rip = true;
			f.r.calls[1].lost_rip = rows[i].rip;
			f.r.liveness = HCF_LIVE_HANG;
			f.r.ndone = 1;
		} else {
			f.r.calls[0].outcome = HCF_CO_EXCEPTION;
			f.r.calls[0].vector = 6;
			f.r.calls[0].fault_rip = rows[i].rip;
		}
		fx_check(&f);
		const struct hcf_issue *is =
			rows[i].hang ? find_issue(&f.cvs[0], "liveness", "outcome")
				     : find_issue(&f.cvs[0], "exception", "exception");
		if (!is && rows[i].hang)
			is = find_issue(&f.cvs[1], "liveness", "outcome");
		if (!is)
			fail_msg("row %zu: no issue", i);
		if (is->v != rows[i].v)
			fail_msg("row %zu: %s, expected %s: %s", i, hcf_verdict_name(is->v),
				 hcf_verdict_name(rows[i].v), is->reason);
		if (rows[i].v == HCF_V_LOST) {
			assert_non_null(strstr(is->reason, "the agent's code and data"));
			if (!rows[i].hang) {
				/* the call after it ran on the broken agent */
				assert_int_equal(f.cvs[1].v, HCF_V_SKIP);
				assert_null(find_issue(&f.cvs[0], "clobber", "rbp"));
			} else {
				assert_non_null(strstr(is->reason, "the agent loops at"));
			}
		}
		fx_free(&f);
	}
}

static void test_liveness_self_inflicted_in_call(void **state)
{
	for (int changed_in_window = 0; changed_in_window < 2; changed_in_window++) {
		struct fx f;
		fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, (int[]){ OP_WALL });
		int b = fx_buf(&f, 24, ST_WALL, HCF_DIR_INOUT);
		f.p.calls[0].ref[HCF_RDI].buf = (int16_t)b;
		f.r.calls[0].before[HCF_RDI] = HCF_GPA_PGTABLES + 0x10;
		/* nsecs (8..16 of the struct) changed, or a byte beyond it */
		fx_page(&f, HCF_GPA_PGTABLES, changed_in_window ? 0x18 : 0x40, 1);
		f.r.calls[0].outcome = HCF_CO_GUEST_LOST;
		f.r.calls[0].lost_why = HCF_LIVE_SHUTDOWN;
		f.r.liveness = HCF_LIVE_SHUTDOWN;
		f.r.ndone = 0;
		fx_check(&f);
		const struct hcf_issue *is = find_issue(&f.cvs[0], "liveness", "outcome");
		assert_non_null(is);
		assert_int_equal(is->v, changed_in_window ? HCF_V_LOST : HCF_V_CRASH);
		if (changed_in_window)
			assert_non_null(strstr(is->reason, "call 0 (walltime) had the hypervisor write "
							   "the agent's page tables"));
		fx_free(&f);
	}
}

/* ---- known anomalies ---------------------------------------------------- */

/* A known anomaly of kind k concerning op (or -1: undeclared numbers). */
static struct hcf_anomaly *anomaly_add(struct hcf_abi *abi, const char *id, int op,
				       enum hcf_anomaly_kind k)
{
	abi->anomalies = realloc(abi->anomalies, (abi->nanomalies + 1) * sizeof(*abi->anomalies));
	assert_non_null(abi->anomalies);
	struct hcf_anomaly *a = &abi->anomalies[abi->nanomalies++];
	memset(a, 0, sizeof(*a));
	a->id = xs(id);
	a->summary = xs("a deviation");
	a->evidence = xs("measured");
	a->reproduce = xs("call get");
	a->ops = calloc(1, sizeof(*a->ops));
	assert_non_null(a->ops);
	a->ops[0] = op;
	a->nops = 1;
	a->kind = k;
	a->instead_of = -1;
	a->after_op = -1;
	return a;
}

/* predicts #GP for every call: a contract the anomaly below breaks */
static void gp_predict(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
		       const uint64_t before[HCF_NGPR], struct hcf_expect *e)
{
	memset(e, 0, sizeof(*e));
	e->outcome = HCF_EXP_EXCEPTION;
	e->vector = 13;
	e->why_model = "test";
	e->why = "refused";
}

/* predicts #GP, which the program's short IDT delivers as #DF */
static void df_predict(void *st, const struct hcf_abi *abi, const struct hcf_prog *p, size_t idx,
		       const uint64_t before[HCF_NGPR], struct hcf_expect *e)
{
	gp_predict(st, abi, p, idx, before, e);
	e->translated = true;
	e->raised = 13;
	e->vector = 8;
}

/* predicts an exception through tables the agent did not build */
static void unknown_tables_predict(void *st, const struct hcf_abi *abi, const struct hcf_prog *p,
				   size_t idx, const uint64_t before[HCF_NGPR], struct hcf_expect *e)
{
	gp_predict(st, abi, p, idx, before, e);
	e->exceptions_unknown = "call 0 loaded an IDT the agent did not build";
}

/* Registers an agent handler read from a frame it did not lay out are not
 * evidence: SKIP, naming why, not a clobber FAIL; through the agent's own
 * tables they are judged. */
static void test_clobber_unknown_tables(void **state)
{
	struct fx f;
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, (int[]){ OP_GET });
	f.abi->ops[OP_GET].exceptions = 1u << 13;
	f.r.calls[0].outcome = HCF_CO_EXCEPTION;
	f.r.calls[0].vector = 13;
	f.r.calls[0].after[HCF_RSP] = 0x10002;
	static const struct hcf_model_ops unk_ops = { .name = "unk", .predict = unknown_tables_predict };
	struct hcf_model m = { .ops = &unk_ops };
	assert_int_equal(hcf_oracles_check(f.abi, &f.p, &f.r, &m, NULL, f.cvs), HCF_V_SKIP);
	const struct hcf_issue *is = find_issue(&f.cvs[0], "clobber", "registers");
	assert_non_null(is);
	assert_non_null(strstr(is->reason, "did not lay out"));
	static const struct hcf_model_ops gp2_ops = { .name = "gp", .predict = gp_predict };
	m.ops = &gp2_ops;
	assert_int_equal(hcf_oracles_check(f.abi, &f.p, &f.r, &m, NULL, f.cvs), HCF_V_FAIL);
	assert_non_null(find_issue(&f.cvs[0], "clobber", "rsp"));
	fx_free(&f);
}

static void test_anomaly_register(void **state)
{
	struct fx f;
	int ops[] = { OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, ops);
	struct hcf_anomaly *a = anomaly_add(f.abi, "status-leak", OP_GET, HCF_ANOM_REG);
	a->reg = HCF_RAX;
	abi_vset_add(&a->values, 1, 1);
	a->instead_of = 13;
	f.abi->ops[OP_GET].exceptions = 1u << 13;
	static const struct hcf_model_ops gp_ops = { .name = "gp", .predict = gp_predict };
	struct hcf_model m = { .ops = &gp_ops };

	/* returns 1 where the model says #GP: both issues are the anomaly's */
	f.r.calls[0].after[HCF_RAX] = 1;
	assert_int_equal(hcf_oracles_check(f.abi, &f.p, &f.r, &m, NULL, f.cvs), HCF_V_XFAIL);
	assert_int_equal(f.cvs[0].nissues, 2);
	for (size_t k = 0; k < 2; k++) {
		assert_int_equal(f.cvs[0].issues[k].v, HCF_V_XFAIL);
		assert_int_equal(f.cvs[0].issues[k].was, HCF_V_FAIL);
		assert_string_equal(f.cvs[0].issues[k].anomaly, "status-leak");
	}
	/* which anomalies matched, for XPASS */
	bool matched[1] = { false };
	hcf_oracles_check_anomalies(f.abi, &f.p, &f.r, &m, NULL, f.cvs, matched);
	assert_true(matched[0]);

	/* another register the call clobbers is not part of it */
	f.r.calls[0].after[HCF_RBX] ^= 1;
	assert_int_equal(hcf_oracles_check(f.abi, &f.p, &f.r, &m, NULL, f.cvs), HCF_V_FAIL);
	const struct hcf_issue *is = find_issue(&f.cvs[0], "clobber", "rbx");
	assert_non_null(is);
	assert_null(is->anomaly);
	f.r.calls[0].after[HCF_RBX] ^= 1;

	/* a value the anomaly does not name is a plain FAIL */
	f.r.calls[0].after[HCF_RAX] = 7;
	assert_int_equal(hcf_oracles_check(f.abi, &f.p, &f.r, &m, NULL, f.cvs), HCF_V_FAIL);
	memset(matched, 0, sizeof(matched));
	hcf_oracles_check_anomalies(f.abi, &f.p, &f.r, &m, NULL, f.cvs, matched);
	assert_false(matched[0]);

	/* only for the inputs the condition names */
	f.r.calls[0].after[HCF_RAX] = 1;
	a->when.p = calloc(1, sizeof(*a->when.p));
	assert_non_null(a->when.p);
	a->when.n = 1;
	a->when.p[0] = (struct hcf_pred){ .reg = HCF_RDI, .width = 64, .mask = ~0ull };
	abi_vset_add(&a->when.p[0].set, 5, 5);
	assert_int_equal(hcf_oracles_check(f.abi, &f.p, &f.r, &m, NULL, f.cvs), HCF_V_FAIL);
	f.r.calls[0].before[HCF_RDI] = f.r.calls[0].after[HCF_RDI] = 5;
	assert_int_equal(hcf_oracles_check(f.abi, &f.p, &f.r, &m, NULL, f.cvs), HCF_V_XFAIL);

	/* #GP the program's tables would deliver as #DF: the call still
	 * returned instead of raising the #GP the anomaly names */
	static const struct hcf_model_ops df_ops = { .name = "df", .predict = df_predict };
	struct hcf_model dm = { .ops = &df_ops };
	f.abi->ops[OP_GET].exceptions |= 1u << 8;
	assert_int_equal(hcf_oracles_check(f.abi, &f.p, &f.r, &dm, NULL, f.cvs), HCF_V_XFAIL);
	is = find_issue(&f.cvs[0], "model", "exception");
	assert_int_equal(is->expected, 13);
	assert_non_null(strstr(is->reason, "arriving as #DF"));

	/* only the oracles it lists */
	a->checks = hcf_anomaly_check_bit("retval");
	assert_int_equal(hcf_oracles_check(f.abi, &f.p, &f.r, &m, NULL, f.cvs), HCF_V_FAIL);
	assert_int_equal(find_issue(&f.cvs[0], "retval", "rax")->v, HCF_V_XFAIL);
	assert_int_equal(find_issue(&f.cvs[0], "model", "exception")->v, HCF_V_FAIL);
	fx_free(&f);
}

/* A hang can be a known deviation (XFAIL, still shown); a harness problem
 * never is: ERROR stays ERROR. */
static void test_anomaly_outcome(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, ops);
	struct hcf_anomaly *a = anomaly_add(f.abi, "livelock", OP_GET, HCF_ANOM_OUTCOME);
	a->outcomes = 1u << HCF_LIVE_HANG;
	f.r.calls[0].outcome = HCF_CO_HANG;
	f.r.calls[0].lost_why = HCF_LIVE_HANG;
	f.r.calls[1].outcome = HCF_CO_NOT_RUN;
	f.r.liveness = HCF_LIVE_HANG;
	f.r.ndone = 0;
	assert_int_equal(fx_check(&f), HCF_V_SKIP); /* call 1: not run */
	const struct hcf_issue *is = find_issue(&f.cvs[0], "liveness", "outcome");
	assert_int_equal(is->v, HCF_V_XFAIL);
	assert_int_equal(is->was, HCF_V_HANG);
	assert_string_equal(is->anomaly, "livelock");
	/* a shutdown is not what it names */
	f.r.calls[0].outcome = HCF_CO_GUEST_LOST;
	f.r.calls[0].lost_why = HCF_LIVE_SHUTDOWN;
	f.r.liveness = HCF_LIVE_SHUTDOWN;
	fx_check(&f);
	assert_int_equal(find_issue(&f.cvs[0], "liveness", "outcome")->v, HCF_V_CRASH);
	/* an anomaly recorded for another target does not match on this one */
	f.r.calls[0].outcome = HCF_CO_HANG;
	f.r.calls[0].lost_why = HCF_LIVE_HANG;
	f.r.liveness = HCF_LIVE_HANG;
	char *elsewhere[] = { (char *)"kvm-nested" };
	a->targets = elsewhere;
	a->ntargets = 1;
	struct hcf_target_info here = { 0 };
	snprintf(here.target, sizeof(here.target), "kvm");
	hcf_oracles_check_anomalies(f.abi, &f.p, &f.r, NULL, &here, f.cvs, NULL);
	assert_int_equal(find_issue(&f.cvs[0], "liveness", "outcome")->v, HCF_V_HANG);
	snprintf(here.target, sizeof(here.target), "kvm-nested");
	hcf_oracles_check_anomalies(f.abi, &f.p, &f.r, NULL, &here, f.cvs, NULL);
	assert_int_equal(find_issue(&f.cvs[0], "liveness", "outcome")->v, HCF_V_XFAIL);
	a->targets = NULL;
	a->ntargets = 0;
	/* garbage on the channel, whatever the anomaly names */
	a->outcomes = ~0u;
	f.r.calls[0].outcome = HCF_CO_BAD_RESULT;
	f.r.calls[0].lost_why = HCF_LIVE_PROTOCOL;
	f.r.liveness = HCF_LIVE_PROTOCOL;
	fx_check(&f);
	assert_int_equal(find_issue(&f.cvs[0], "liveness", "outcome")->v, HCF_V_ERROR);
	fx_free(&f);
}

/* An outcome anomaly may name where the guest was (rip:) and a call that
 * must have run before (after:): without both it stays a CRASH. */
static void test_anomaly_outcome_rip_after(void **state)
{
	static const struct {
		int first;           /* the call before the lost one */
		uint64_t first_rbx;  /* its input */
		bool rip_known;
		uint64_t rip;
		enum hcf_verdict v;
	} rows[] = {
		{ OP_RECONF, 0x5000, true, 0x101800, HCF_V_XFAIL },
		{ OP_RECONF, 0x2000, true, 0x101800, HCF_V_CRASH }, /* after:'s condition fails */
		{ OP_GET, 0x5000, true, 0x101800, HCF_V_CRASH },    /* no after: call */
		{ OP_RECONF, 0x5000, true, 0x900000, HCF_V_CRASH }, /* rip outside the range */
		{ OP_RECONF, 0x5000, false, 0x101800, HCF_V_CRASH }, /* rip not known */
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fx f;
		int ops[] = { rows[i].first, OP_GET };
		fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, ops);
		struct hcf_anomaly *a = anomaly_add(f.abi, "bad-cs", OP_GET, HCF_ANOM_OUTCOME);
		a->outcomes = 1u << HCF_LIVE_INTERNAL_ERROR;
		a->has_rip = true;
		a->rip = (struct hcf_pred){ .width = 64, .mask = ~0ull };
		abi_vset_add(&a->rip.set, 0x100000, 0x1fffff);
		a->after_op = OP_RECONF;
		a->after_when.p = calloc(1, sizeof(*a->after_when.p));
		assert_non_null(a->after_when.p);
		a->after_when.n = 1;
		a->after_when.p[0] = (struct hcf_pred){ .reg = HCF_RBX, .width = 64, .mask = ~0ull,
							 .negate = true };
		abi_vset_add(&a->after_when.p[0].set, 0x2000, 0x2000);
		f.r.calls[0].before[HCF_RBX] = rows[i].first_rbx;
		f.r.calls[1].outcome = HCF_CO_GUEST_LOST;
		f.r.calls[1].lost_why = HCF_LIVE_INTERNAL_ERROR;
		f.r.calls[1].has_lost_rip = rows[i].rip_known;
		f.r.calls[1].lost_rip = rows[i].rip;
		f.r.liveness = HCF_LIVE_INTERNAL_ERROR;
		f.r.ndone = 1;
		fx_check(&f);
		const struct hcf_issue *is = NULL;
		for (size_t c = 0; c < 2 && !is; c++) {
			is = find_issue(&f.cvs[c], "liveness", "outcome");
			if (is && is->consequence)
				is = NULL;
		}
		if (!is || is->v != rows[i].v)
			fail_msg("row %zu: %s, expected %s", i, is ? hcf_verdict_name(is->v) : "nothing",
				 hcf_verdict_name(rows[i].v));
		if (rows[i].rip_known)
			assert_int_equal(is->loc.addr, rows[i].rip);
		fx_free(&f);
	}
}

/* Memory: the changed bytes must lie in the window an input of the call
 * names (aligned down, so long); a change beside it stays a FAIL. */
static void test_anomaly_memory(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, ops);
	struct hcf_anomaly *a = anomaly_add(f.abi, "rounding", OP_GET, HCF_ANOM_MEMORY);
	a->mem_reg = HCF_RDI;
	a->mem_align = 0x1000;
	a->mem_size = 8;
	int b = fx_buf(&f, 64, -1, HCF_DIR_IN);
	f.r.bufs[b].gva = 0x600040; /* its guard starts the page */
	f.p.calls[1].ref[HCF_RSI].buf = (int16_t)b;
	/* call 0 names an address inside the buffer */
	f.r.calls[0].before[HCF_RDI] = f.r.calls[0].after[HCF_RDI] = 0x600058;
	*fx_byte(&f, b, -64 + 1) = 0; /* byte 1 of the page: in the window */
	assert_int_equal(fx_check(&f), HCF_V_XFAIL);
	const struct hcf_issue *is = find_issue(&f.cvs[1], "memory", "guard buf0-63");
	assert_non_null(is);
	assert_string_equal(is->anomaly, "rounding");
	assert_int_equal(is->related, 0); /* the call whose input names the window */
	*fx_byte(&f, b, -64 + 9) = 0; /* and byte 9: beside it */
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	fx_free(&f);
}

/* An issue the list has no room for is matched like a kept one: the call is
 * XFAIL, not FAIL, when every issue is a known deviation. */
static void test_anomaly_dropped(void **state)
{
	struct fx f;
	int ops[] = { OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 1, ops);
	static const unsigned regs[] = { HCF_RBX, HCF_RBP, HCF_RCX, HCF_R8,  HCF_R9,
					 HCF_R10, HCF_R11, HCF_R12, HCF_R13, HCF_R14 };
	char id[16];
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		snprintf(id, sizeof(id), "clobbers-%zu", i);
		struct hcf_anomaly *a = anomaly_add(f.abi, id, OP_GET, HCF_ANOM_REG);
		a->reg = (uint8_t)regs[i];
		abi_vset_add(&a->values, 0x77, 0x77);
		f.r.calls[0].after[regs[i]] = 0x77;
	}
	assert_int_equal(fx_check(&f), HCF_V_XFAIL);
	assert_int_equal(f.cvs[0].nissues, HCF_MAX_ISSUES);
	assert_int_equal(f.cvs[0].dropped, 2);
	/* the counts a status line shows: one program, each anomaly once */
	struct hcf_anomaly_counts c;
	hcf_anomaly_counts_init(&c, f.abi);
	hcf_anomaly_counts_add(&c, f.cvs, 1);
	assert_int_equal(c.total, 1);
	char buf[256];
	hcf_anomaly_counts_format(&c, buf, sizeof(buf));
	assert_non_null(strstr(buf, "clobbers-0 1"));
	hcf_anomaly_counts_free(&c);
	/* one more, unlisted, clobber: FAIL though it may be the dropped one */
	f.r.calls[0].after[HCF_R15] = 0x77;
	assert_int_equal(fx_check(&f), HCF_V_FAIL);
	fx_free(&f);
}

static void test_liveness_between_calls(void **state)
{
	/* The agent panicked after call 0 completed: no call outcome says so. */
	struct fx f;
	int ops[] = { OP_GET, OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, ops);
	f.r.calls[1].outcome = HCF_CO_NOT_RUN;
	f.r.liveness = HCF_LIVE_AGENT_PANIC;
	f.r.ndone = 1;
	assert_int_equal(fx_check(&f), HCF_V_CRASH);
	expect_only(&f.cvs[0], HCF_V_PASS);
	const struct hcf_issue *is = find_issue(&f.cvs[1], "liveness", "program");
	assert_non_null(is);
	assert_non_null(strstr(is->reason, "agent"));
	fx_free(&f);

	/* ... after a destructive call that declares it: that call's, LOST */
	int kops[] = { OP_KILL, OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, kops);
	f.abi->ops[OP_KILL].losses[0].ends |= 1u << HCF_LIVE_AGENT_PANIC;
	f.r.calls[1].outcome = HCF_CO_NOT_RUN;
	f.r.liveness = HCF_LIVE_AGENT_PANIC;
	f.r.ndone = 1;
	assert_int_equal(fx_check(&f), HCF_V_SKIP);
	is = find_issue(&f.cvs[0], "liveness", "program");
	assert_non_null(is);
	assert_int_equal(is->v, HCF_V_LOST);
	fx_free(&f);
}

static void test_worst_wins_and_overflow(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, ops);
	/* call 0: every non-output register clobbered: more issues than kept */
	for (unsigned r = 0; r < HCF_NGPR; r++)
		f.r.calls[0].after[r] ^= 0x1000;
	f.r.calls[0].after[HCF_RAX] = 0;
	f.r.calls[1].outcome = HCF_CO_HANG;
	f.r.liveness = HCF_LIVE_HANG;
	assert_int_equal(fx_check(&f), HCF_V_HANG);
	assert_int_equal(f.cvs[0].v, HCF_V_FAIL);
	assert_int_equal(f.cvs[0].nissues, HCF_MAX_ISSUES);
	/* 16 registers minus rax, rsi (output) and rdx (clobber) */
	assert_int_equal(f.cvs[0].nissues + f.cvs[0].dropped, 13);
	fx_free(&f);
}

static void test_result_shorter_than_program(void **state)
{
	struct fx f;
	int ops[] = { OP_GET, OP_GET };
	fx_make(&f, test_abi(HCF_XPORT_VMCALL), 2, ops);
	f.r.ncalls = 1;
	assert_int_equal(fx_check(&f), HCF_V_ERROR);
	expect_only(&f.cvs[1], HCF_V_ERROR);
	f.r.ncalls = 2;
	fx_free(&f);
}

static void test_tables(void **state)
{
	assert_true(hcf_ncall_oracles >= 5);
	assert_string_equal(hcf_call_oracles[0].name, "liveness");
	assert_false(hcf_call_oracles[0].completed_only);
	for (size_t i = 0; i < hcf_ncall_oracles; i++) {
		assert_non_null(hcf_call_oracles[i].check);
		assert_non_null(hcf_call_oracles[i].doc);
		if (i)
			assert_true(hcf_call_oracles[i].completed_only);
	}
	assert_true(hcf_nprog_oracles >= 1);
	assert_string_equal(hcf_prog_oracles[0].name, "memory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_passes),
		cmocka_unit_test(test_clobber_rbx_fails),
		cmocka_unit_test(test_clobber_rsp_fails),
		cmocka_unit_test(test_declared_changes_pass),
		cmocka_unit_test(test_rflags_captured),
		cmocka_unit_test(test_transport_clobbers),
		cmocka_unit_test(test_rflags),
		cmocka_unit_test(test_vector_registers),
		cmocka_unit_test(test_exceptions),
		cmocka_unit_test(test_exceptions_model_extra),
		cmocka_unit_test(test_exception_names),
		cmocka_unit_test(test_retval_neg_errno),
		cmocka_unit_test(test_retval_carry),
		cmocka_unit_test(test_retval_none_conv),
		cmocka_unit_test(test_retval_undeclared),
		cmocka_unit_test(test_undeclared_subop),
		cmocka_unit_test(test_retval_status_field),
		cmocka_unit_test(test_retval_class_agrees),
		cmocka_unit_test(test_model_kvm_enosys_vs_eperm),
		cmocka_unit_test(test_model_outcome),
		cmocka_unit_test(test_model_monotonic),
		cmocka_unit_test(test_driver_model_calls),
		cmocka_unit_test(test_memory_guards),
		cmocka_unit_test(test_memory_page_attribution),
		cmocka_unit_test(test_memory_fields),
		cmocka_unit_test(test_memory_raw_and_relocs),
		cmocka_unit_test(test_memory_stray_page),
		cmocka_unit_test(test_memory_pointed_struct),
		cmocka_unit_test(test_memory_pointers),
		cmocka_unit_test(test_memory_array),
		cmocka_unit_test(test_span_clip),
		cmocka_unit_test(test_call_writes_array),
		cmocka_unit_test(test_memory_bad_shapes),
		cmocka_unit_test(test_liveness),
		cmocka_unit_test(test_liveness_self_inflicted),
		cmocka_unit_test(test_liveness_late_stray_write),
		cmocka_unit_test(test_liveness_blame),
		cmocka_unit_test(test_liveness_loss_condition),
		cmocka_unit_test(test_liveness_hands_over),
		cmocka_unit_test(test_liveness_resumed_in_agent),
		cmocka_unit_test(test_liveness_garbled_then_lost),
		cmocka_unit_test(test_liveness_self_inflicted_in_call),
		cmocka_unit_test(test_self_inflicted_exception_and_hang),
		cmocka_unit_test(test_anomaly_register),
		cmocka_unit_test(test_clobber_unknown_tables),
		cmocka_unit_test(test_anomaly_outcome),
		cmocka_unit_test(test_anomaly_outcome_rip_after),
		cmocka_unit_test(test_anomaly_memory),
		cmocka_unit_test(test_anomaly_dropped),
		cmocka_unit_test(test_liveness_between_calls),
		cmocka_unit_test(test_worst_wins_and_overflow),
		cmocka_unit_test(test_result_shorter_than_program),
		cmocka_unit_test(test_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
