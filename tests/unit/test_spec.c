/*
 * test_spec.c: the spec loader: native language, Xen FastABI dialect,
 * diagnostics with exact positions, and robustness against bad input.
 *
 * Fixtures: specs/kvm.yaml, tests/fixtures/specs/{valid,invalid}/ and the
 * unmodified FastABI files in tests/fixtures/xen-fastabi/, found through
 * HCF_SOURCE_DIR (set by ctest) or, failing that, this file's own path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spec/spec.h"
#include "spec/transport.h"
#include "util/fileio.h"
#include "util/xalloc.h"

/* ---- helpers ------------------------------------------------------------ */

static char *src_path(const char *rel)
{
	const char *dir = getenv("HCF_SOURCE_DIR");
	if (dir && *dir)
		return hcf_xasprintf("%s/%s", dir, rel);
	/* __FILE__ is tests/unit/test_spec.c under the source tree. */
	const char *f = __FILE__, *cut = strstr(f, "tests/unit/");
	return hcf_xasprintf("%.*s%s", cut ? (int)(cut - f) : 0, f, rel);
}

static void dump(const struct hcf_diags *d)
{
	hcf_diags_print(d, stderr);
}

static struct hcf_abi *load_ok(const char *rel)
{
	char *p = src_path(rel);
	struct hcf_diags d;
	struct hcf_abi *abi = NULL;
	hcf_diags_init(&d);
	int rc = hcf_spec_load(p, &abi, &d);
	if (rc != 0)
		dump(&d);
	assert_int_equal(rc, 0);
	assert_non_null(abi);
	assert_int_equal(d.n, 0);
	free(p);
	return abi;
}

static struct hcf_abi *buf_ok(const char *text)
{
	struct hcf_diags d;
	struct hcf_abi *abi = NULL;
	hcf_diags_init(&d);
	int rc = hcf_spec_load_buffer("mem.yaml", text, strlen(text), &abi, &d);
	if (rc != 0)
		dump(&d);
	assert_int_equal(rc, 0);
	assert_non_null(abi);
	return abi;
}

/* Load must fail, and some diagnostic must sit at line:col and contain phrase. */
static void expect_diag(const struct hcf_diags *d, unsigned line, unsigned col, const char *phrase,
			const char *what)
{
	for (unsigned i = 0; i < d->n; i++)
		if (d->d[i].line == line && d->d[i].col == col && strstr(d->d[i].msg, phrase))
			return;
	fprintf(stderr, "%s: expected %u:%u '%s', got:\n", what, line, col, phrase);
	dump(d);
	fail();
}

static void buf_err(const char *text, unsigned line, unsigned col, const char *phrase)
{
	struct hcf_diags d;
	struct hcf_abi *abi = (struct hcf_abi *)&d; /* must be reset to NULL */
	hcf_diags_init(&d);
	assert_int_equal(hcf_spec_load_buffer("mem.yaml", text, strlen(text), &abi, &d), -1);
	assert_null(abi);
	assert_true(d.n >= 1);
	expect_diag(&d, line, col, phrase, text);
	assert_string_equal(d.d[0].file, "mem.yaml");
}

static const struct hcf_op *op_named(const struct hcf_abi *abi, const char *name)
{
	const struct hcf_op *op = hcf_spec_op_by_name(abi, name);
	if (!op)
		fprintf(stderr, "no op '%s'\n", name);
	assert_non_null(op);
	return op;
}

static const struct hcf_arg *arg_named(const struct hcf_op *op, const char *name)
{
	for (size_t i = 0; i < op->nargs; i++)
		if (!strcmp(op->args[i].name, name))
			return &op->args[i];
	fprintf(stderr, "op %s has no argument '%s'\n", op->name, name);
	fail();
	return NULL;
}

static bool has_error(const struct hcf_op *op, int64_t code)
{
	for (size_t i = 0; i < op->nerrors; i++)
		if (op->errors[i] == code)
			return true;
	return false;
}

#define R(x) HCF_REGBIT(HCF_##x)

/* ---- specs/kvm.yaml ------------------------------------------------------- */

static void test_kvm_spec(void **state)
{
	struct hcf_abi *abi = load_ok("specs/kvm.yaml");
	char buf[64];

	assert_string_equal(abi->name, "kvm");
	assert_string_equal(abi->model, "kvm");
	assert_int_equal(abi->dialect, HCF_DIALECT_HCFUZZ);
	assert_int_equal(abi->spec_version, 1);
	assert_int_equal(abi->transport.kind, HCF_XPORT_NATIVE);
	assert_int_equal(abi->transport.clobbers, 0);
	assert_int_equal(abi->transport.outputs, 0);
	assert_int_equal(abi->nr_reg, HCF_RAX);
	assert_int_equal(abi->nr_width, 64);
	assert_int_equal(abi->nr_or_mask, 0);
	assert_int_equal(abi->subop_reg, HCF_REG_NONE);
	assert_int_equal(abi->ret_reg, HCF_RAX);
	assert_int_equal(abi->ret_width, 64);
	assert_int_equal(abi->err, HCF_ERR_NEG_ERRNO);
	assert_int_equal(abi->clobbers, 0);
	assert_int_equal(abi->ncalls, 12);
	assert_int_equal(abi->nops, 12);
	assert_int_equal(hcf_spec_const(abi, "KVM_ENOSYS")->value, 1000);
	assert_int_equal(hcf_spec_const(abi, "KVM_EOPNOTSUPP")->value, 95);

	for (size_t i = 0; i < abi->nops; i++) {
		const struct hcf_op *op = &abi->ops[i];
		assert_int_equal(op->nr, i + 1);
		assert_int_equal(op->call_idx, (int)i);
		assert_int_equal(abi->calls[i].first_op, i);
		assert_int_equal(abi->calls[i].nops, 1);
		assert_false(op->has_subop);
		/* the agent calls from CPL0: -KVM_EPERM is not an allowed answer */
		assert_false(has_error(op, 1));
		assert_int_equal(op->clobber_mask, 0);
		assert_int_equal(op->out_mask, R(RAX));
		assert_int_equal(op->ret_reg, HCF_RAX);
		assert_int_equal(op->exceptions, 0);
		assert_int_equal(op->rflags_may_change, 0);
		assert_false(op->destructive);
		assert_true(op->in_mask & R(RAX));
		assert_string_equal(op->call_name, op->name);
		assert_ptr_equal(op->pos.file, abi->files[0]);
	}

	const struct hcf_op *kick = op_named(abi, "KVM_HC_KICK_CPU");
	assert_int_equal(kick->in_mask, R(RAX) | R(RBX) | R(RCX));
	assert_int_equal(hcf_op_may_change(abi, kick), R(RAX));
	const struct hcf_arg *apic = arg_named(kick, "apic_id");
	assert_int_equal(apic->reg, HCF_RCX);
	assert_int_equal(apic->width, 32);
	assert_int_equal(apic->dir, HCF_DIR_IN);
	assert_true(hcf_vset_contains(&apic->hints, 0xff));
	assert_int_equal(arg_named(kick, "flags")->width, 64);
	assert_true(hcf_vset_contains(&kick->returns, 0));
	assert_false(hcf_vset_contains(&kick->returns, 1));
	assert_true(has_error(kick, 1000));

	const struct hcf_op *mmu = hcf_spec_find_op(abi, 2, 0);
	assert_string_equal(mmu->name, "KVM_HC_MMU_OP");
	assert_false(mmu->returns.any);
	assert_int_equal(mmu->returns.n, 0);
	assert_true(has_error(mmu, 1000));

	const struct hcf_op *cp = hcf_spec_find_op(abi, 9, 0);
	assert_string_equal(cp->name, "KVM_HC_CLOCK_PAIRING");
	assert_true(has_error(cp, 95) && has_error(cp, 14));
	const struct hcf_arg *paddr = arg_named(cp, "paddr");
	assert_int_equal(paddr->reg, HCF_RBX);
	assert_true(paddr->struct_idx >= 0);
	const struct hcf_struct *st = &abi->structs[paddr->struct_idx];
	assert_ptr_equal(st, hcf_spec_struct(abi, "kvm_clock_pairing"));
	assert_int_equal(st->size, 64);
	assert_int_equal(st->nfields, 5);
	static const struct { const char *name; uint32_t off, size; } fields[] = {
		{ "sec", 0, 8 }, { "nsec", 8, 8 }, { "tsc", 16, 8 }, { "flags", 24, 4 }, { "pad", 28, 36 },
	};
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(st->fields[i].name, fields[i].name);
		assert_int_equal(st->fields[i].offset, fields[i].off);
		assert_int_equal(st->fields[i].size, fields[i].size);
		assert_int_equal(st->fields[i].dir, HCF_DIR_OUT);
		assert_int_equal(st->fields[i].points_to, -1);
	}

	const struct hcf_op *ipi = op_named(abi, "KVM_HC_SEND_IPI");
	assert_int_equal(ipi->in_mask, R(RAX) | R(RBX) | R(RCX) | R(RDX) | R(RSI));
	assert_int_equal(arg_named(ipi, "min")->width, 32);
	assert_true(hcf_vset_contains(&ipi->returns, 128));
	assert_false(hcf_vset_contains(&ipi->returns, 129));
	assert_false(hcf_vset_contains(&ipi->returns, -22));
	assert_true(has_error(ipi, 22));

	const struct hcf_op *map = op_named(abi, "KVM_HC_MAP_GPA_RANGE");
	assert_int_equal(map->nr, 12);
	assert_int_equal(map->in_mask, R(RAX) | R(RBX) | R(RCX) | R(RDX));

	assert_null(hcf_spec_find_op(abi, 13, 0));
	assert_null(hcf_spec_find_op(abi, 0, 0));
	assert_true(hcf_vset_contains(&abi->undeclared.returns, -1000));
	assert_false(hcf_vset_contains(&abi->undeclared.returns, -1)); /* -KVM_EPERM: not at CPL0 */
	assert_false(hcf_vset_contains(&abi->undeclared.returns, 0));
	assert_int_equal(abi->undeclared.exceptions, 0);
	assert_int_equal(hcf_abi_undeclared_may_change(abi), R(RAX));
	assert_string_equal(hcf_spec_value_name(abi, kick, -1000, buf, sizeof(buf)), "-KVM_ENOSYS");
	hcf_spec_free(abi);
}

/* ---- FastABI files ------------------------------------------------------ */

static const struct {
	const char *file, *name;
	uint64_t index;
	size_t nops;
} fastabi_files[] = {
	{ "event_channel.yml", "event_channel", 32, 14 },
	{ "grant_table.yml", "grant_table", 20, 5 },
	{ "hvm.yml", "hvm", 34, 6 },
	{ "memory.yml", "memory", 12, 1 },
	{ "sched.yml", "sched", 29, 7 },
	{ "vcpu.yml", "vcpu", 24, 14 },
	{ "version.yml", "version", 17, 2 },
};
#define NFASTABI (sizeof(fastabi_files) / sizeof(fastabi_files[0]))

static void check_fastabi_abi(const struct hcf_abi *abi)
{
	assert_int_equal(abi->dialect, HCF_DIALECT_XEN_FASTABI);
	assert_int_equal(abi->transport.kind, HCF_XPORT_NATIVE);
	assert_int_equal(abi->transport.clobbers, 0);
	assert_int_equal(abi->nr_reg, HCF_RAX);
	assert_int_equal(abi->nr_or_mask, 0x40000000);
	assert_int_equal(abi->subop_reg, HCF_RDI);
	assert_int_equal(abi->clobbers, 0);
	assert_int_equal(abi->ret_reg, HCF_RAX);
	assert_int_equal(abi->ret_width, 64);
	assert_int_equal(abi->err, HCF_ERR_NEG_ERRNO);
	assert_true(hcf_vset_contains(&abi->undeclared.returns, -38));
	assert_false(hcf_vset_contains(&abi->undeclared.returns, 0));
	assert_int_equal(hcf_spec_const(abi, "ENOSYS")->value, 38);
	assert_int_equal(hcf_spec_const(abi, "EOPNOTSUPP")->value, 95);
	assert_null(hcf_spec_const(abi, "EINTR"));
	for (size_t i = 0; i < abi->nops; i++) {
		const struct hcf_op *op = &abi->ops[i];
		assert_true(op->has_subop);
		assert_int_equal(op->in_mask & (R(RAX) | R(RDI)), R(RAX) | R(RDI));
		assert_true(op->out_mask & R(RAX));
		assert_int_equal(op->clobber_mask, 0);
		assert_true(op->returns.any);
		/* Every guest-visible Xen errno, not the internal EINTR / ERESTART. */
		assert_int_equal(op->nerrors, 47);
		assert_true(has_error(op, 22) && has_error(op, 38) && has_error(op, 111));
		assert_false(has_error(op, 4) || has_error(op, 85) || has_error(op, 1000));
		for (size_t j = 0; j < op->nargs; j++) {
			assert_int_equal(op->args[j].width, 64);
			/* Only rsi, r8..r12 (reg2..reg7) carry arguments in these files. */
			assert_true(HCF_REGBIT(op->args[j].reg) &
				    (R(RSI) | R(R8) | R(R9) | R(R10) | R(R11) | R(R12)));
		}
	}
}

static void test_fastabi_files(void **state)
{
	for (size_t i = 0; i < NFASTABI; i++) {
		char *rel = hcf_xasprintf("tests/fixtures/xen-fastabi/%s", fastabi_files[i].file);
		struct hcf_abi *abi = load_ok(rel);
		assert_string_equal(abi->name, fastabi_files[i].name);
		assert_int_equal(abi->ncalls, 1);
		assert_true(abi->calls[0].has_subops);
		assert_int_equal(abi->calls[0].nr, fastabi_files[i].index);
		assert_int_equal(abi->calls[0].first_op, 0);
		assert_int_equal(abi->calls[0].nops, fastabi_files[i].nops);
		assert_int_equal(abi->nops, fastabi_files[i].nops);
		check_fastabi_abi(abi);
		hcf_spec_free(abi);
		free(rel);
	}
}

static void test_fastabi_masks(void **state)
{
	struct hcf_abi *abi = load_ok("tests/fixtures/xen-fastabi/event_channel.yml");
	const struct hcf_op *st = op_named(abi, "event_channel.status");
	assert_int_equal(st->subop, 5);
	assert_int_equal(st->in_mask, R(RAX) | R(RDI) | R(RSI) | R(R8));
	assert_int_equal(st->out_mask, R(RAX) | R(R9) | R(R10) | R(R11) | R(R12));
	assert_int_equal(hcf_op_may_change(abi, st), st->out_mask);
	assert_int_equal(arg_named(st, "output2")->reg, HCF_R12);
	assert_int_equal(arg_named(st, "output2")->dir, HCF_DIR_OUT);
	assert_int_equal(arg_named(st, "dom")->dir, HCF_DIR_IN);
	const struct hcf_op *au = hcf_spec_find_op(abi, 32, 6);
	assert_string_equal(au->name, "event_channel.alloc_unbound");
	assert_string_equal(au->call_name, "event_channel");
	hcf_spec_free(abi);

	abi = load_ok("tests/fixtures/xen-fastabi/sched.yml");
	const struct hcf_op *y = op_named(abi, "sched.yield");
	assert_int_equal(y->nargs, 0);
	assert_int_equal(y->in_mask, R(RAX) | R(RDI));
	assert_int_equal(y->out_mask, R(RAX));
	hcf_spec_free(abi);

	abi = load_ok("tests/fixtures/xen-fastabi/grant_table.yml");
	const struct hcf_op *un = op_named(abi, "grant_table.unmap_grant_ref");
	assert_int_equal(un->in_mask, R(RAX) | R(RDI) | R(R8) | R(R11));
	hcf_spec_free(abi);
}

static void test_fastabi_inout(void **state)
{
	struct hcf_abi *abi = load_ok("tests/fixtures/xen-fastabi/vcpu.yml");
	const struct hcf_op *op = op_named(abi, "vcpu.get_runstate_info");
	assert_int_equal(op->subop, 4);
	assert_int_equal(op->nargs, 6);
	const struct hcf_arg *io = arg_named(op, "vcpuid/state");
	assert_int_equal(io->reg, HCF_RSI);
	assert_int_equal(io->dir, HCF_DIR_INOUT);
	assert_int_equal(op->in_mask, R(RAX) | R(RDI) | R(RSI));
	assert_int_equal(op->out_mask, R(RAX) | R(RSI) | R(R8) | R(R9) | R(R10) | R(R11) | R(R12));
	assert_int_equal(arg_named(op, "time[0]")->reg, HCF_R9);
	assert_int_equal(arg_named(op, "time[3]")->reg, HCF_R12);

	const struct hcf_op *reg = op_named(abi, "vcpu.register_runstate_phys_area");
	assert_int_equal(arg_named(reg, "addr.p")->reg, HCF_R8);
	assert_int_equal(arg_named(reg, "addr.p")->dir, HCF_DIR_IN);
	hcf_spec_free(abi);
}

static void test_fastabi_dir(void **state)
{
	struct hcf_abi *abi = load_ok("tests/fixtures/xen-fastabi");
	size_t total = 0;
	assert_string_equal(abi->name, "xen-fastabi");
	assert_int_equal(abi->ncalls, NFASTABI);
	assert_int_equal(abi->nfiles, NFASTABI);
	for (size_t i = 0; i < NFASTABI; i++) {
		/* Files load in name order; the table is sorted the same way. */
		assert_string_equal(abi->calls[i].name, fastabi_files[i].name);
		assert_int_equal(abi->calls[i].nr, fastabi_files[i].index);
		assert_int_equal(abi->calls[i].first_op, total);
		assert_int_equal(abi->calls[i].nops, fastabi_files[i].nops);
		total += fastabi_files[i].nops;
	}
	assert_int_equal(abi->nops, 49);
	check_fastabi_abi(abi);

	const struct hcf_op *op = hcf_spec_find_op(abi, 24, 4);
	assert_non_null(op);
	assert_string_equal(op->name, "vcpu.get_runstate_info");
	assert_non_null(strstr(op->pos.file, "vcpu.yml"));
	bool owned = false;
	for (size_t i = 0; i < abi->nfiles; i++)
		owned |= op->pos.file == abi->files[i];
	assert_true(owned);
	assert_null(hcf_spec_find_op(abi, 32, 99));
	assert_null(hcf_spec_find_op(abi, 33, 0));
	for (size_t i = 0; i < abi->nops; i++)
		assert_int_equal(abi->ops[i].call_idx >= 0 &&
					 (size_t)abi->ops[i].call_idx < abi->ncalls, 1);
	hcf_spec_free(abi);
}

static void test_fastabi_dir_conflict(void **state)
{
	char tmpl[] = "/tmp/hcf-spec-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char *a = hcf_xasprintf("%s/a.yml", tmpl), *b = hcf_xasprintf("%s/b.yaml", tmpl);
	char *c = hcf_xasprintf("%s/notes.txt", tmpl);
	const char *ta = "name: one\nhypercall_index: 7\n";
	const char *tb = "name: two\nhypercall_index: 7\nsubops:\n  x:\n    index: 0\n";
	assert_int_equal(hcf_write_file_atomic(a, ta, strlen(ta)), 0);
	assert_int_equal(hcf_write_file_atomic(b, tb, strlen(tb)), 0);
	assert_int_equal(hcf_write_file_atomic(c, "x", 1), 0);

	struct hcf_diags d;
	struct hcf_abi *abi;
	hcf_diags_init(&d);
	assert_int_equal(hcf_spec_load(tmpl, &abi, &d), -1);
	assert_null(abi);
	assert_int_equal(d.n, 1);
	expect_diag(&d, 2, 18, "call number 7 already used by one at", "dir");
	assert_non_null(strstr(d.d[0].msg, "a.yml:2:18"));
	assert_non_null(strstr(d.d[0].file, "b.yaml"));

	/* Without the clash the two files make one ABI; notes.txt is ignored. */
	tb = "name: two\nhypercall_index: 8\n";
	assert_int_equal(hcf_write_file_atomic(b, tb, strlen(tb)), 0);
	hcf_diags_init(&d);
	assert_int_equal(hcf_spec_load(tmpl, &abi, &d), 0);
	assert_int_equal(abi->ncalls, 2);
	assert_int_equal(abi->nops, 2);
	assert_false(abi->ops[0].has_subop);
	assert_int_equal(abi->ops[0].in_mask, R(RAX)); /* no subop register without subops */
	hcf_spec_free(abi);

	unlink(a);
	unlink(b);
	unlink(c);
	rmdir(tmpl);
	free(a);
	free(b);
	free(c);

	/* An empty directory is an error, not an empty ABI. */
	char tmpl2[] = "/tmp/hcf-spec-XXXXXX";
	assert_non_null(mkdtemp(tmpl2));
	hcf_diags_init(&d);
	assert_int_equal(hcf_spec_load(tmpl2, &abi, &d), -1);
	assert_non_null(strstr(d.d[0].msg, "no *.yml"));
	rmdir(tmpl2);
}

/* The same files from memory (hcf_spec_load_fastabi_texts): the ABI the
 * directory makes, clashes named in the file that clashes, no file an error. */
static void test_fastabi_texts(void **state)
{
	struct hcf_spec_text files[NFASTABI];
	for (size_t i = 0; i < NFASTABI; i++) {
		char *rel = hcf_xasprintf("tests/fixtures/xen-fastabi/%s", fastabi_files[i].file);
		char *p = src_path(rel);
		free(rel);
		files[i].name = fastabi_files[i].file;
		files[i].text = hcf_read_file(p, 1u << 20, &files[i].len);
		assert_non_null(files[i].text);
		free(p);
	}
	struct hcf_abi *dir = load_ok("tests/fixtures/xen-fastabi"), *mem = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	assert_int_equal(hcf_spec_load_fastabi_texts("xen-fastabi", files, NFASTABI, &mem, &d), 0);
	assert_string_equal(mem->name, dir->name);
	assert_int_equal(mem->ncalls, dir->ncalls);
	assert_int_equal(mem->nops, dir->nops);
	for (size_t i = 0; i < mem->nops; i++) {
		assert_string_equal(mem->ops[i].name, dir->ops[i].name);
		assert_int_equal(mem->ops[i].nr, dir->ops[i].nr);
		assert_int_equal(mem->ops[i].in_mask, dir->ops[i].in_mask);
	}
	check_fastabi_abi(mem);
	hcf_spec_free(mem);
	hcf_spec_free(dir);
	for (size_t i = 0; i < NFASTABI; i++)
		free((char *)files[i].text);

	const struct hcf_spec_text clash[] = {
		{ "a.yml", "name: one\nhypercall_index: 7\n", 29 },
		{ "b.yml", "name: two\nhypercall_index: 7\n", 29 },
	};
	hcf_diags_init(&d);
	assert_int_equal(hcf_spec_load_fastabi_texts("m", clash, 2, &mem, &d), -1);
	assert_null(mem);
	expect_diag(&d, 2, 18, "call number 7 already used by one at", "texts");
	assert_string_equal(d.d[0].file, "b.yml");
	hcf_diags_init(&d);
	assert_int_equal(hcf_spec_load_fastabi_texts("m", clash, 0, &mem, &d), -1);
	assert_null(mem);
	assert_non_null(strstr(d.d[0].msg, "no Xen FastABI operation files"));
}

/* ---- native fixtures ---------------------------------------------------- */

static void test_full_fixture(void **state)
{
	struct hcf_abi *abi = load_ok("tests/fixtures/specs/valid/full.yaml");
	assert_string_equal(abi->name, "full");
	assert_string_equal(abi->description, "fixture using every key");
	assert_int_equal(abi->transport.kind, HCF_XPORT_SYSCALL);
	assert_int_equal(abi->transport.clobbers, R(RCX) | R(R11));
	assert_int_equal(abi->nr_reg, HCF_RAX);
	assert_int_equal(abi->nr_width, 32);
	assert_int_equal(abi->nr_or_mask, 0x41000000);
	assert_int_equal(abi->subop_reg, HCF_RDI);
	assert_int_equal(abi->subop_width, 32);
	assert_int_equal(abi->err, HCF_ERR_CARRY);
	assert_int_equal(abi->clobbers, R(R10));
	assert_int_equal(abi->ncalls, 4);
	assert_int_equal(abi->nops, 6);
	assert_true(hcf_vset_contains(&abi->undeclared.returns, -22));
	assert_int_equal(abi->undeclared.exceptions, (1u << 13) | (1u << 6));

	const struct hcf_struct *req = hcf_spec_struct(abi, "req");
	assert_int_equal(req->size, 32);
	assert_int_equal(req->nfields, 5);
	assert_int_equal(req->fields[1].is_status, 1);
	assert_int_equal(req->fields[1].dir, HCF_DIR_OUT);
	assert_int_equal(req->fields[0].dir, HCF_DIR_IN);
	assert_int_equal(req->fields[2].buffer_len_field, 0);
	assert_int_equal(req->fields[3].points_to, 1);
	assert_int_equal(req->fields[4].dir, HCF_DIR_INOUT);

	const struct hcf_op *ping = op_named(abi, "ping");
	assert_string_equal(ping->doc, "no arguments");
	assert_int_equal(ping->in_mask, R(RAX));
	assert_int_equal(ping->rflags_may_change, 1); /* CF: carry convention */
	assert_int_equal(ping->exceptions, 1u << 6);

	const struct hcf_op *rw = op_named(abi, "rw");
	assert_int_equal(rw->in_mask, R(RAX) | R(RBX) | R(R13) | R(R8));
	assert_int_equal(rw->out_mask, R(RAX) | R(RDX) | R(R8));
	assert_int_equal(rw->clobber_mask, R(R9) | R(R10));
	assert_int_equal(hcf_op_may_change(abi, rw),
			 R(RAX) | R(RDX) | R(R8) | R(R9) | R(R10) | R(RCX) | R(R11));
	assert_int_equal(rw->rflags_may_change, (1u << 6) | 1u);
	assert_int_equal(rw->exceptions, (1u << 14) | (1u << 0) | (1u << 6));
	assert_true(hcf_vset_contains(&rw->returns, 0xffff));
	assert_false(hcf_vset_contains(&rw->returns, 0x10000));
	assert_int_equal(rw->nerrors, 2);
	assert_int_equal(rw->errors[0], 22);
	assert_int_equal(rw->errors[1], 5);
	const struct hcf_arg *p = arg_named(rw, "p");
	assert_int_equal(p->struct_idx, 0);
	assert_true(hcf_vset_contains(&p->hints, 0x41));
	const struct hcf_arg *t = arg_named(rw, "t");
	assert_int_equal(t->width, 32);
	assert_int_equal(t->nondet, HCF_NONDET_MONOTONIC);
	assert_int_equal(t->dir, HCF_DIR_OUT);
	assert_int_equal(arg_named(rw, "io")->dir, HCF_DIR_INOUT);

	const struct hcf_op *st = op_named(abi, "st");
	assert_int_equal(st->err, HCF_ERR_STATUS_FIELD);
	assert_int_equal(st->ret_reg, HCF_REG_NONE);
	assert_int_equal(st->out_mask, 0);
	assert_int_equal(st->status_struct, 0);
	assert_int_equal(st->status_field, 1);
	assert_int_equal(rw->status_struct, -1);

	const struct hcf_op *a = op_named(abi, "multi.a");
	const struct hcf_op *b = op_named(abi, "multi.b");
	const struct hcf_op *c = op_named(abi, "multi.c");
	assert_int_equal(a->in_mask, R(RAX) | R(RDI) | R(RSI));
	assert_int_equal(a->clobber_mask, R(R9) | R(R10));
	assert_true(a->destructive);
	assert_string_equal(a->destructive_why, "changes paging");
	assert_true(hcf_vset_contains(&a->returns, 0));
	assert_false(hcf_vset_contains(&a->returns, 1));
	assert_int_equal(b->clobber_mask, R(R12) | R(R10));
	assert_false(b->destructive);
	assert_null(b->destructive_why);
	assert_int_equal(b->out_mask, R(RAX) | R(RSI));
	assert_int_equal(b->subop, 5);
	assert_string_equal(c->doc, "third");
	assert_int_equal(c->err, HCF_ERR_NONE);
	assert_true(c->returns.any);
	assert_int_equal(c->rflags_may_change, 0);
	assert_true(c->destructive);
	assert_int_equal(arg_named(c, "z")->dir, HCF_DIR_INOUT);
	const struct hcf_call *multi = &abi->calls[a->call_idx];
	assert_string_equal(multi->name, "multi");
	assert_true(multi->has_subops);
	assert_int_equal(multi->nops, 3);
	assert_ptr_equal(&abi->ops[multi->first_op], a);
	hcf_spec_free(abi);
}

static void test_pio_mmio(void **state)
{
	struct hcf_abi *abi = load_ok("tests/fixtures/specs/valid/pio.yaml");
	assert_int_equal(abi->transport.kind, HCF_XPORT_PIO);
	assert_int_equal(abi->transport.port_base, 0x500);
	assert_int_equal(abi->transport.width, 4);
	assert_true(abi->transport.is_read);
	assert_int_equal(abi->transport.outputs, R(RAX));
	assert_int_equal(abi->nr_reg, HCF_RDX);
	assert_int_equal(abi->nr_width, 16);
	assert_int_equal(abi->ret_reg, HCF_RAX);
	assert_int_equal(abi->ret_width, 32);
	assert_int_equal(op_named(abi, "put")->in_mask, R(RDX) | R(RBX));
	hcf_spec_free(abi);

	abi = load_ok("tests/fixtures/specs/valid/mmio.yaml");
	assert_int_equal(abi->transport.kind, HCF_XPORT_MMIO);
	assert_int_equal(abi->transport.mmio_base, 0xfe000000);
	assert_int_equal(abi->transport.mmio_scale, 8);
	assert_false(abi->transport.is_read);
	assert_int_equal(abi->transport.outputs, 0);
	assert_int_equal(abi->nr_reg, HCF_RDX);
	assert_int_equal(abi->ret_reg, HCF_REG_NONE);
	const struct hcf_op *go = op_named(abi, "go");
	assert_int_equal(go->in_mask, R(RDX) | R(RAX));
	assert_int_equal(go->out_mask, 0);
	assert_true(go->returns.any);
	hcf_spec_free(abi);
}

/* A backdoor port: fixed port, number in ecx's low byte, a magic in eax. */
static void test_backdoor_port(void **state)
{
	(void)state;
	struct hcf_abi *abi = load_ok("specs/vmware-backdoor.yaml");
	assert_true(abi->transport.fixed);
	assert_int_equal(abi->transport.port_base, 0x5658);
	assert_int_equal(abi->nr_reg, HCF_RCX);
	assert_int_equal(abi->nr_width, 8);
	assert_int_equal(abi->nmagic, 1);
	assert_int_equal(abi->magic[0].reg, HCF_RAX);
	assert_int_equal(abi->magic[0].width, 32);
	assert_int_equal(abi->magic[0].value, 0x564d5868);
	assert_true(abi->outputs_zero_extend);
	assert_int_equal(abi->transport.outputs, R(RAX));
	assert_int_equal(op_named(abi, "GETVERSION")->in_mask, R(RCX) | R(RDX) | R(RAX));
	hcf_spec_free(abi);

#define BD "hcfuzz_spec: 1\nabi: t\ntransport: {kind: pio, port: 0x5658, width: 4, direction: in, " \
	   "fixed: true}\n"
	/* the number cannot travel in rdx, which holds the port */
	buf_err(BD "call_number: {reg: edx}\ncalls:\n  - {name: a, nr: 1}\n", 4, 20, "holds the pio");
	/* nor can an input */
	buf_err(BD "call_number: {reg: ecx}\ncalls:\n  - {name: a, nr: 1, input: {x: rdx}}\n", 6, 30,
		"rdx holds the pio transport's port");
	/* a magic register is no input, and not the number register */
	buf_err(BD "call_number: {reg: ecx}\nmagic: {eax: 1}\ncalls:\n  - {name: a, nr: 1, input: {x: rax}}\n",
		7, 30, "holds the ABI's magic value");
	buf_err(BD "call_number: {reg: ecx}\nmagic: {ecx: 1}\ncalls:\n  - {name: a, nr: 1}\n", 5, 9,
		"cannot hold a magic value");
	/* the value must fit the register's width; fixed is true or false */
	buf_err(BD "call_number: {reg: ecx}\nmagic: {eax: 0x100000000}\ncalls:\n  - {name: a, nr: 1}\n", 5, 14,
		"magic value");
	buf_err("hcfuzz_spec: 1\nabi: t\ntransport: {kind: pio, port: 1, width: 4, fixed: maybe}\n"
		"calls:\n  - {name: a, nr: 1}\n", 3, 50, "must be false or true");
	buf_err(BD "call_number: {reg: ecx}\noutputs_zero_extend: sometimes\ncalls:\n  - {name: a, nr: 1}\n",
		5, 22, "must be true or false");
#undef BD
}

#define HEAD "hcfuzz_spec: 1\nabi: t\ntransport: vmcall\ncall_number: {reg: rax}\nreturn: rax\n"
#define CALLS "calls:\n  - {name: a, nr: 1}\n"

static void test_transports(void **state)
{
	static const struct {
		const char *xport;
		enum hcf_xport_kind kind;
		unsigned vector;
		hcf_regmask_t clobbers;
	} ok[] = {
		{ "vmcall", HCF_XPORT_VMCALL, 0, 0 },
		{ "vmmcall", HCF_XPORT_VMMCALL, 0, 0 },
		{ "native", HCF_XPORT_NATIVE, 0, 0 },
		{ "syscall", HCF_XPORT_SYSCALL, 0, R(RCX) | R(R11) },
		{ "\"int 0x1b\"", HCF_XPORT_INT, 0x1b, 0 },
		{ "int 27", HCF_XPORT_INT, 27, 0 },
		{ "{kind: int, vector: 0x80}", HCF_XPORT_INT, 0x80, 0 },
		{ "{kind: syscall}", HCF_XPORT_SYSCALL, 0, R(RCX) | R(R11) },
		{ "{kind: hypercall_page, msr: 0x40000000}", HCF_XPORT_HCPAGE, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *text = hcf_xasprintf("hcfuzz_spec: 1\nabi: t\ntransport: %s\n"
					   "call_number: {reg: rax}\n" CALLS, ok[i].xport);
		struct hcf_abi *abi = buf_ok(text);
		assert_int_equal(abi->transport.kind, ok[i].kind);
		assert_int_equal(abi->transport.vector, ok[i].vector);
		assert_int_equal(abi->transport.clobbers, ok[i].clobbers);
		if (ok[i].kind == HCF_XPORT_HCPAGE) {
			assert_int_equal(abi->transport.hcpage_msr, 0x40000000);
			assert_int_equal(abi->transport.hcpage_stride, 32);
		}
		hcf_spec_free(abi);
		free(text);
	}

	static const struct {
		const char *xport;
		unsigned col;
		const char *phrase;
	} bad[] = {
		{ "pio", 12, "needs parameters" },
		{ "int 256", 12, "vector must be an integer 0..255" },
		{ "{kind: int}", 12, "missing required key 'vector'" },
		{ "{kind: pio, port: 0x10000, width: 4}", 30, "out of range 0..0xffff" },
		{ "{kind: pio, port: 1, width: 3}", 40, "must be 1, 2 or 4" },
		{ "{kind: pio, port: 1, width: 4, direction: up}", 54, "must be out or in" },
		{ "{kind: vmcall, port: 1}", 27, "unknown key 'port' in transport (allowed: kind, clobbers)" },
		{ "{kind: warp}", 19, "unknown transport 'warp'" },
		{ "[]", 12, "a transport list holds 1 to 4 transports, not 0" },
		{ "[vmcall, syscall, vmcall]", 30, "transport vmcall listed twice" },
		{ "[vmcall, {kind: pio, port: 1, width: 4}]", 21, "a transport list cannot hold pio" },
		{ "{kind: syscall, clobbers: [rzz]}", 39, "unknown register 'rzz'" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text = hcf_xasprintf("hcfuzz_spec: 1\nabi: t\ntransport: %s\n"
					   "call_number: {reg: rax}\n" CALLS, bad[i].xport);
		buf_err(text, 3, bad[i].col, bad[i].phrase);
		free(text);
	}
}

/* A transport list: the first is the default, a command picks another by
 * its kind; a register any of them overwrites cannot be an input; the
 * spec may state a transport's clobbers (a misstatement the oracles then
 * catch); the hypercall page holds 4096 / stride entries. */
static void test_transport_list(void **state)
{
	(void)state;
	struct hcf_abi *abi = buf_ok("hcfuzz_spec: 1\nabi: t\n"
				     "transport: [{kind: hypercall_page, msr: 0x40000000}, syscall, native]\n"
				     "call_number: {reg: rax}\n" CALLS);
	assert_int_equal(abi->ntransports, 3);
	assert_int_equal(abi->transport.kind, HCF_XPORT_HCPAGE);
	char err[256];
	assert_int_equal(hcf_spec_use_transport(abi, "syscall", err, sizeof(err)), 0);
	assert_int_equal(abi->transport.kind, HCF_XPORT_SYSCALL);
	assert_int_equal(abi->transport.clobbers, R(RCX) | R(R11));
	assert_int_equal(hcf_spec_use_transport(abi, "vmcall", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "lists no transport 'vmcall' (it lists: hypercall_page syscall native)"));
	assert_int_equal(abi->transport.kind, HCF_XPORT_SYSCALL); /* unchanged */
	/* only an exception inside the hypercall page's code leaves registers
	 * to that code */
	assert_int_equal(hcf_xport_inflight_regs(&abi->transport, HCF_GPA_HCPAGE + 10), 0);
	assert_int_equal(hcf_spec_use_transport(abi, "hypercall_page", err, sizeof(err)), 0);
	assert_int_equal(hcf_xport_inflight_regs(&abi->transport, HCF_GPA_HCPAGE + 24 * 32 + 10),
			 R(RSP) | R(RCX) | R(R11));
	assert_int_equal(hcf_xport_inflight_regs(&abi->transport, HCF_GPA_HCPAGE + 0x1000), 0);
	assert_int_equal(hcf_xport_inflight_regs(&abi->transport, 0x101313), 0);
	hcf_spec_free(abi);

	abi = buf_ok("hcfuzz_spec: 1\nabi: t\ntransport: {kind: syscall, clobbers: []}\n"
		     "call_number: {reg: rax}\n" CALLS);
	assert_int_equal(abi->transport.clobbers, 0);
	hcf_spec_free(abi);

	buf_err("hcfuzz_spec: 1\nabi: t\ntransport: [native, syscall]\ncall_number: {reg: rax}\n"
		"calls:\n  - {name: a, nr: 1, input: {x: rcx}}\n",
		6, 30, "rcx cannot carry an input: the syscall transport overwrites it");
	buf_err("hcfuzz_spec: 1\nabi: t\ntransport: [native, {kind: hypercall_page, msr: 1}]\n"
		"call_number: {reg: rax}\ncalls:\n  - {name: a, nr: 128}\n",
		6, 19, "out of range 0..0x7f");
}

/* watchdog_ms: an op's own time before it is a hang, inherited by subops. */
static void test_op_watchdog(void **state)
{
	(void)state;
	struct hcf_abi *abi = buf_ok("hcfuzz_spec: 1\nabi: t\ntransport: vmcall\n"
				     "call_number: {reg: rax}\nsubop: {reg: rdi}\ncalls:\n"
				     "  - {name: a, nr: 1, watchdog_ms: 60000, subops: [{index: 0, name: x},"
				     " {index: 1, name: y, watchdog_ms: 5}]}\n"
				     "  - {name: b, nr: 2}\n");
	assert_int_equal(hcf_spec_op_by_name(abi, "a.x")->watchdog_ms, 60000);
	assert_int_equal(hcf_spec_op_by_name(abi, "a.y")->watchdog_ms, 5);
	assert_int_equal(hcf_spec_op_by_name(abi, "b")->watchdog_ms, 0);
	hcf_spec_free(abi);
	buf_err("hcfuzz_spec: 1\nabi: t\ntransport: vmcall\ncall_number: {reg: rax}\n"
		"calls:\n  - {name: a, nr: 1, watchdog_ms: 3600001}\n",
		6, 35, "out of range");
}

/* ---- invalid fixtures: exact positions ----------------------------------- */

static const struct {
	const char *file;
	unsigned line, col;
	const char *phrase;
} invalid[] = {
	{ "unknown_key.yaml", 9, 5, "unknown key 'inptu' in call (allowed: name, nr, doc," },
	{ "dup_call_nr.yaml", 9, 5, "call number 1 already used by a at 7:5" },
	{ "dup_call_name.yaml", 9, 5, "call name 'a' already used at 7:5" },
	{ "reg_twice.yaml", 9, 21, "register rbx named twice in input" },
	{ "unknown_transport.yaml", 3, 12, "unknown transport 'hypercall'" },
	{ "in_out_overlap.yaml", 10, 14, "rbx is both input and output; declare it under inout" },
	{ "dup_yaml_key.yaml", 4, 1, "duplicate key 'abi' in the top level (first at 2:1)" },
	{ "bad_integer.yaml", 8, 9, "bad integer '12abc'" },
	{ "yaml_syntax.yaml", 9, 9, "YAML syntax error" },
	{ "field_outside.yaml", 11, 7, "field 'b' (offset 4, size 8) lies outside struct 's'" },
	{ "overlap_fields.yaml", 11, 7, "field 'b' (offset 4, size 4) overlaps field 'a'" },
	{ "unknown_constant.yaml", 11, 18, "unknown constant 'ENOPE'" },
	{ "subops_no_reg.yaml", 9, 5, "has subops but the ABI declares no subop register" },
	{ "unknown_register.yaml", 9, 16, "unknown register 'rzz'" },
	{ "bad_width.yaml", 9, 34, "width 64 is wider than ecx (32 bits)" },
	{ "input_on_nr.yaml", 9, 13, "rax carries the call number; it cannot be an input" },
	{ "dup_subop_index.yaml", 12, 9, "subop index 3 already used by x at 11:9" },
	{ "wrong_type.yaml", 5, 8, "'calls' must be a list, not a mapping" },
	{ "missing_key.yaml", 7, 5, "missing required key 'nr'" },
	{ "version2.yaml", 1, 14, "this build reads version 1" },
	{ "alias.yaml", 8, 5, "aliases are not allowed" },
	{ "not_a_spec.yaml", 1, 1, "not a spec: expected a top-level 'hcfuzz_spec'" },
	{ "status_no_field.yaml", 12, 23, "status_field needs an argument pointing to a struct" },
	{ "nr_too_big.yaml", 6, 19, "0x100000000 out of range 0..0xffffffff" },
	{ "syscall_input_rcx.yaml", 6, 30, "rcx cannot carry an input: the syscall transport" },
	{ "pio_nr_reg.yaml", 4, 20, "carries the call number in rdx" },
	{ "tag.yaml", 1, 14, "YAML tags" },
	{ "fastabi_reg0_input.yml", 4, 6, "reg0 (rax) carries the hypercall index" },
	{ "fastabi_reg1_subop.yml", 7, 10, "reg1 (rdi) carries the sub-operation index" },
	{ "fastabi_reg_range.yml", 7, 10, "reg8 does not exist" },
	{ "fastabi_unknown_key.yml", 6, 5, "unknown key 'inputs' in a sub-operation" },
	{ "fastabi_dup_reg.yml", 8, 7, "reg2 (rsi) named twice in input" },
	{ "fastabi_dup_index.yml", 7, 12, "sub-operation index 0 already used by op at 5:12" },
};

static void test_invalid_fixtures(void **state)
{
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		char *rel = hcf_xasprintf("tests/fixtures/specs/invalid/%s", invalid[i].file);
		char *path = src_path(rel);
		struct hcf_diags d;
		struct hcf_abi *abi = NULL;
		hcf_diags_init(&d);
		assert_int_equal(hcf_spec_load(path, &abi, &d), -1);
		assert_null(abi);
		/* Each fixture holds exactly one mistake. */
		if (d.n != 1) {
			fprintf(stderr, "%s: expected one diagnostic\n", invalid[i].file);
			dump(&d);
		}
		assert_int_equal(d.n, 1);
		assert_string_equal(d.d[0].file, path);
		expect_diag(&d, invalid[i].line, invalid[i].col, invalid[i].phrase, invalid[i].file);
		free(path);
		free(rel);
	}
}

/* align_down: 1 unless given, a power of two up to a page. */
static void test_struct_align_down(void **state)
{
	struct hcf_abi *abi = buf_ok(HEAD "structs: {s: {size: 8}, p: {size: 8, align_down: 4096}}\n"
				     CALLS);
	assert_int_equal(hcf_spec_struct(abi, "s")->align_down, 1);
	assert_int_equal(hcf_spec_struct(abi, "p")->align_down, 4096);
	hcf_spec_free(abi);
}

/* count: the input holding how many structs a pointer names, one after the
 * other (an array); it may come after the pointer. */
static void test_arrays(void **state)
{
#define AR_HEAD HEAD "structs: {e: {size: 16, fields: {a: {offset: 0, size: 8, dir: in}, " \
		"r: {offset: 8, size: 8, dir: out}}}, o: {size: 4}}\ncalls:\n  - {name: m, nr: 1, "
	struct hcf_abi *abi = buf_ok(AR_HEAD "input: {list: {reg: rbx, pointer: e, count: n}, "
				     "one: {reg: rdx, pointer: o}, n: ecx}}\n");
	const struct hcf_op *m = hcf_spec_op_by_name(abi, "m");
	const struct hcf_arg *list = &m->args[0], *one = &m->args[1];
	assert_int_equal(list->count_arg, 2);
	assert_int_equal(one->count_arg, -1);
	uint64_t regs[HCF_NGPR] = { 0 };
	regs[HCF_RCX] = 0xdead00000005ull; /* read at the count's 32 bits */
	assert_int_equal(hcf_arg_elements(m, list, regs), 5);
	assert_int_equal(hcf_arg_elements(m, one, regs), 1);
	assert_true(hcf_spec_struct(abi, "e")->array_element);
	assert_false(hcf_spec_struct(abi, "o")->array_element);
	hcf_spec_free(abi);

	buf_err(AR_HEAD "input: {list: {reg: rbx, count: n}, n: ecx}}\n", 8, 54,
		"count of 'list' needs pointer: (the struct of its elements)");
	buf_err(AR_HEAD "input: {list: {reg: rbx, pointer: e, count: z}, n: ecx}}\n", 8, 66,
		"count of 'list': 'z' is not an argument of m");
	buf_err(AR_HEAD "input: {list: {reg: rbx, pointer: e, count: n}}, output: {n: ecx}}\n", 8, 66,
		"count of 'list': 'n' is an output of m; the number of elements is an input");
	buf_err(AR_HEAD "input: {list: {reg: rbx, pointer: e, count: list}, n: ecx}}\n", 8, 66,
		"count of 'list': 'list' is a pointer, not a number of elements");
	buf_err(AR_HEAD "input: {n: ecx}, output: {list: {reg: rbx, pointer: e, count: n}}}\n", 8, 84,
		"count applies to pointer inputs, not to output 'list'");
#undef AR_HEAD
}

/* A call with sub-operations may say what its unknown ones do (undeclared:,
 * the top level's syntax); every other unknown number keeps the ABI's. */
static void test_undeclared_per_call(void **state)
{
#define UD_HEAD HEAD "subop: {reg: rdi}\nerror_convention: negative_errno\n" \
		"constants: {ENOSYS: 38, ENOENT: 2}\nundeclared: {returns: [-ENOSYS]}\n"
	struct hcf_abi *abi = buf_ok(UD_HEAD "calls:\n  - name: v\n    nr: 24\n"
				     "    undeclared: {returns: [-ENOSYS, -ENOENT], exceptions: [UD]}\n"
				     "    subops: [{name: up, index: 2}]\n  - {name: w, nr: 25, subops: "
				     "[{name: x, index: 0}]}\n");
	const struct hcf_undeclared *u = hcf_spec_undeclared(abi, 24);
	assert_ptr_not_equal(u, &abi->undeclared);
	assert_true(hcf_vset_contains(&u->returns, -2));
	assert_true(hcf_vset_contains(&u->returns, -38));
	assert_false(hcf_vset_contains(&u->returns, 0));
	assert_int_equal(u->exceptions, 1u << 6);
	assert_ptr_equal(hcf_spec_undeclared(abi, 25), &abi->undeclared);
	assert_ptr_equal(hcf_spec_undeclared(abi, 99), &abi->undeclared);
	assert_false(hcf_vset_contains(&abi->undeclared.returns, -2));
	hcf_spec_free(abi);

	/* only a call with sub-operations has unknown ones */
	buf_err(UD_HEAD "calls:\n  - {name: v, nr: 24, undeclared: {returns: [-ENOENT]}}\n", 11, 23,
		"call 'v' has no subops: a call's undeclared: says what its unknown sub-operations do");
	buf_err(UD_HEAD "calls:\n  - {name: v, nr: 24, undeclared: {returnz: [1]}, subops: "
		"[{name: x, index: 0}]}\n", 11, 36, "unknown key 'returnz' in undeclared");
	/* a sub-operation has none of its own */
	buf_err(UD_HEAD "calls:\n  - {name: v, nr: 24, subops: [{name: x, index: 0, undeclared: "
		"{returns: [1]}}]}\n", 11, 52, "unknown key 'undeclared' in subop");
#undef UD_HEAD
}

/* pointer_when (one struct) and pointers (a list): conditions on the op's
 * inputs under which the argument is a struct's address; the argument stays
 * a plain number for the generators. */
static void test_pointers(void **state)
{
	struct hcf_abi *abi = buf_ok(
		HEAD "constants: {VIF: 0x4b564d10}\nstructs: {p: {size: 8}, q: {size: 12}}\n"
		"calls:\n  - {name: w, nr: 1, input: {v: {reg: rcx, pointer: p, "
		"pointer_when: {i: VIF}}, i: ebx}}\n"
		"  - name: m\n    nr: 2\n    input:\n      i: ebx\n"
		"      v: {reg: rcx, pointers: [{to: p, when: {i: VIF}},\n"
		"                               {to: q, when: {i: [0x11, 0x12], v: {mask: 1, is: 1}}}]}\n");
	const struct hcf_op *op = hcf_spec_op_by_name(abi, "w");
	assert_non_null(op);
	const struct hcf_arg *v = arg_named(op, "v");
	assert_int_equal(v->struct_idx, -1);
	assert_int_equal(v->npointers, 1);
	assert_ptr_equal(&abi->structs[v->pointers[0].struct_idx], hcf_spec_struct(abi, "p"));
	uint64_t in[HCF_NGPR] = { 0 };
	in[HCF_RBX] = 0xffffffff4b564d10ull; /* ebx: the low 32 bits */
	assert_true(hcf_cond_holds(&v->pointers[0].when, in));
	in[HCF_RBX] = 0x4b564d11;
	assert_false(hcf_cond_holds(&v->pointers[0].when, in));

	const struct hcf_arg *mv = arg_named(hcf_spec_op_by_name(abi, "m"), "v");
	assert_int_equal(mv->npointers, 2);
	assert_ptr_equal(&abi->structs[mv->pointers[1].struct_idx], hcf_spec_struct(abi, "q"));
	in[HCF_RBX] = 0x12;
	in[HCF_RCX] = 0x600001;
	assert_true(hcf_cond_holds(&mv->pointers[1].when, in));
	in[HCF_RCX] = 0x600000; /* not enabled */
	assert_false(hcf_cond_holds(&mv->pointers[1].when, in));
	hcf_spec_free(abi);

#define PW_HEAD HEAD "structs: {p: {size: 8}}\ncalls:\n  - {name: w, nr: 1, input: "
	buf_err(PW_HEAD "{v: {reg: rcx, pointer_when: {i: 1}}, i: ebx}}\n", 8, 58,
		"pointer_when of 'v' needs pointer:");
	buf_err(PW_HEAD "{v: {reg: rcx, pointer: p, pointer_when: {j: 1}}, i: ebx}}\n", 8, 71,
		"'j' is neither an input of w nor a register");
	buf_err(PW_HEAD "{v: {reg: rcx, pointer: p, pointer_when: 3}, i: ebx}}\n", 8, 70,
		"'pointer_when' must be a mapping");
	buf_err(PW_HEAD "{v: {reg: rcx, pointers: [{to: z, when: {i: 1}}]}, i: ebx}}\n", 8, 60,
		"unknown struct 'z'");
	buf_err(PW_HEAD "{v: {reg: rcx, pointers: [{to: p}]}, i: ebx}}\n", 8, 55,
		"missing required key 'when'");
	buf_err(PW_HEAD "{v: {reg: rcx, pointer: p, pointers: [{to: p, when: {i: 1}}]}, i: ebx}}\n",
		8, 66, "goes without pointer:");
#undef PW_HEAD
}

/* destructive's mapping form: how a call may end the guest, and for which
 * inputs; only ways the architecture explains can be declared. */
static void test_loss_model(void **state)
{
	struct hcf_abi *abi = buf_ok(
		HEAD "constants: {PML4: 0x8000}\ncalls:\n"
		"  - name: cr3\n    nr: 1\n    input: {value: rbx}\n"
		"    destructive:\n      why: switches page tables\n      ends: [shutdown]\n"
		"      when: {value: {mask: 0xfffff000, not: PML4}}\n"
		"  - name: gdt\n    nr: 2\n    input: {base: rbx, limit: cx}\n"
		"    destructive:\n      ends:\n        - {by: shutdown, when: {base: {not: 0x2000}}}\n"
		"        - {by: [shutdown, agent-panic], when: {limit: {is: {min: 0, max: 0xe}}}}\n"
		"  - {name: plain, nr: 3, destructive: \"reconfigures, never ends\"}\n"
		"  - name: eret\n    nr: 4\n    input: {rip: rbx}\n"
		"    destructive:\n      hands_over: {how: resumes at rip = rbx, rip: rip}\n"
		"      when: {rip: {is: {min: 0, max: 0x7fffffffffff}}}\n"
		"  - name: wild\n    nr: 5\n    destructive: {ends: runaway}\n");
	const struct hcf_op *cr3 = op_named(abi, "cr3");
	assert_true(cr3->destructive);
	assert_string_equal(cr3->destructive_why, "switches page tables");
	assert_int_equal(cr3->nlosses, 1);
	uint64_t in[HCF_NGPR] = { 0 };
	in[HCF_RBX] = 0;
	assert_true(hcf_op_may_end(cr3, HCF_LIVE_SHUTDOWN, in));
	assert_false(hcf_op_may_end(cr3, HCF_LIVE_AGENT_PANIC, in));
	assert_false(hcf_op_may_end(cr3, HCF_LIVE_HANG, in));
	in[HCF_RBX] = 0x8fff;
	assert_false(hcf_op_may_end(cr3, HCF_LIVE_SHUTDOWN, in));
	in[HCF_RBX] = 0x100008000ull; /* outside the mask: still the PML4 */
	assert_false(hcf_op_may_end(cr3, HCF_LIVE_SHUTDOWN, in));

	const struct hcf_op *gdt = op_named(abi, "gdt");
	assert_int_equal(gdt->nlosses, 2);
	in[HCF_RBX] = 0x2000;
	in[HCF_RCX] = 0xffff0007; /* limit is cx: 16 bits */
	assert_true(hcf_op_may_end(gdt, HCF_LIVE_AGENT_PANIC, in));
	in[HCF_RCX] = 0x7ff;
	assert_false(hcf_op_may_end(gdt, HCF_LIVE_SHUTDOWN, in));
	in[HCF_RBX] = 0;
	assert_true(hcf_op_may_end(gdt, HCF_LIVE_SHUTDOWN, in));
	assert_false(hcf_op_may_end(gdt, HCF_LIVE_AGENT_PANIC, in));

	const struct hcf_op *plain = op_named(abi, "plain");
	assert_true(plain->destructive);
	assert_int_equal(plain->nlosses, 0);
	assert_false(hcf_op_may_end(plain, HCF_LIVE_SHUTDOWN, in));
	assert_false(hcf_op_hands_over(plain, in));

	/* handing the guest over declares every way it can end itself (its
	 * own code may halt, or make the VMM refuse it), for the inputs named,
	 * and nothing the hypervisor alone does */
	const struct hcf_op *eret = op_named(abi, "eret");
	assert_string_equal(eret->hands_over, "resumes at rip = rbx");
	assert_int_equal(eret->hands_over_rip, HCF_RBX);
	assert_int_equal(op_named(abi, "plain")->hands_over_rip, HCF_REG_NONE);
	assert_int_equal(eret->nlosses, 0);
	in[HCF_RBX] = 0x600000;
	assert_true(hcf_op_hands_over(eret, in));
	for (int k = 0; k < HCF_LIVE_COUNT; k++)
		assert_int_equal(hcf_op_may_end(eret, (unsigned)k, in),
				 k == HCF_LIVE_SHUTDOWN || k == HCF_LIVE_AGENT_PANIC ||
					 k == HCF_LIVE_RUNAWAY || k == HCF_LIVE_HALT ||
					 k == HCF_LIVE_REFUSED);
	in[HCF_RBX] = 0x800000000000ull;
	assert_false(hcf_op_hands_over(eret, in));
	assert_false(hcf_op_may_end(eret, HCF_LIVE_SHUTDOWN, in));
	assert_true(hcf_op_may_end(op_named(abi, "wild"), HCF_LIVE_RUNAWAY, in));
	hcf_spec_free(abi);

#define LM_HEAD HEAD "calls:\n  - name: c\n    nr: 1\n    input: {v: rbx}\n    destructive:\n"
	/* line 11 holds what follows "destructive:" */
	buf_err(LM_HEAD "      ends: [hang]\n", 11, 14, "'hang' cannot be declared");
	buf_err(LM_HEAD "      ends: [kvm-internal-error]\n", 11, 14, "cannot be declared");
	buf_err(LM_HEAD "      ends: [melt]\n", 11, 14, "unknown way to end the guest 'melt'");
	buf_err(LM_HEAD "      ends: []\n", 11, 13, "an empty list");
	buf_err(LM_HEAD "      ends: shutdown\n      when: {w: 1}\n", 12, 14,
		"'w' is neither an input of c nor a register");
	buf_err(LM_HEAD "      why: x\n      when: {v: 1}\n", 12, 13, "when: without ends:");
	buf_err(LM_HEAD "      ends: shutdown\n      when: {v: {is: 1, not: 2}}\n", 12, 17,
		"exactly one of is: and not:");
	buf_err(LM_HEAD "      ends: shutdown\n      when: {v: {is: {min: 5, max: 1}}}\n", 12, 22,
		"range min 5 is above max 1");
	buf_err(LM_HEAD "      sure: yes\n", 11, 7, "unknown key 'sure'");
	buf_err(LM_HEAD "      hands_over: \"\"\n", 11, 19, "says how the call hands the guest over");
	buf_err(LM_HEAD "      hands_over: {how: x, rip: ebx}\n", 11, 33, "a 64-bit input, not 32 bits");
	buf_err(LM_HEAD "      ends: [protocol-violation]\n", 11, 14, "cannot be declared");
#undef LM_HEAD
}

/* known_anomalies: each with an id, what it is, the calls, a precise match,
 * its program and its evidence; malformed ones are errors at their node. */
static void test_known_anomalies(void **state)
{
	struct hcf_abi *abi = buf_ok(
		HEAD "constants: {STATUS: 1}\nstructs: {page: {size: 8, fields: {w: {offset: 0, "
		"size: 8, dir: inout}}}}\ncalls:\n"
		"  - {name: a, nr: 1, input: {v: rbx}, exceptions: [GP]}\n"
		"  - {name: b, nr: 2, input: {p: {reg: rbx, pointer: page}}}\n"
		"known_anomalies:\n"
		"  - id: status-leak\n    summary: returns 1 instead of #GP\n    calls: [a, undeclared]\n"
		"    match: {reg: rax, value: [STATUS, 2], instead_of: GP}\n    checks: [retval, model]\n"
		"    reproduce: |\n      call a v=0\n    evidence: measured\n"
		"  - id: rounding\n    summary: writes at the page start\n    calls: b\n"
		"    when: {p: {mask: 0xfff, not: 0}}\n"
		"    match: {memory: {at: p, align_down: 4096, size: 8}}\n"
		"    reproduce: \"call b p=1\"\n    evidence: found by fuzzing\n"
		"  - {id: hangs, summary: s, calls: [a], match: {outcome: [hang, shutdown]}, "
		"reproduce: x, evidence: e}\n"
		"  - {id: ud, summary: s, calls: a, match: {exception: UD}, reproduce: x, evidence: e}\n"
		"  - id: after-b\n    summary: s\n    calls: [a]\n"
		"    after: {call: b, when: {p: {not: 0x2000}}}\n"
		"    match: {outcome: kvm-internal-error, rip: {min: 0x100000, max: 0x1fffff}}\n"
		"    targets: [kvm-nested, qemu]\n"
		"    reproduce: x\n    evidence: e\n");
	assert_int_equal(abi->nanomalies, 5);
	const struct hcf_anomaly *a = &abi->anomalies[0];
	assert_string_equal(a->id, "status-leak");
	assert_int_equal(a->kind, HCF_ANOM_REG);
	assert_int_equal(a->nops, 2);
	assert_int_equal(a->ops[0], 0);
	assert_int_equal(a->ops[1], -1);
	assert_int_equal(a->reg, HCF_RAX);
	assert_int_equal(a->values.n, 2);
	assert_int_equal(a->instead_of, 13);
	assert_int_equal(a->checks, hcf_anomaly_check_bit("retval") | hcf_anomaly_check_bit("model"));
	assert_string_equal(a->reproduce, "call a v=0\n");
	a = &abi->anomalies[1];
	assert_int_equal(a->kind, HCF_ANOM_MEMORY);
	assert_int_equal(a->mem_reg, HCF_RBX);
	assert_int_equal(a->mem_align, 4096);
	assert_int_equal(a->mem_size, 8);
	assert_int_equal(a->when.n, 1);
	a = &abi->anomalies[2];
	assert_int_equal(a->kind, HCF_ANOM_OUTCOME);
	assert_int_equal(a->outcomes, (1u << HCF_LIVE_HANG) | (1u << HCF_LIVE_SHUTDOWN));
	assert_int_equal(abi->anomalies[3].vectors, 1u << 6);
	assert_int_equal(abi->anomalies[0].after_op, -1);
	assert_false(abi->anomalies[2].has_rip);
	a = &abi->anomalies[4];
	assert_int_equal(a->after_op, 1);
	assert_int_equal(a->after_when.n, 1);
	assert_true(a->has_rip);
	assert_true(hcf_pred_holds(&a->rip, 0x101800));
	assert_false(hcf_pred_holds(&a->rip, 0x7fffff));
	/* targets: only where it was measured; without it, everywhere */
	assert_int_equal(a->ntargets, 2);
	assert_true(hcf_anomaly_on_target(a, "kvm-nested"));
	assert_true(hcf_anomaly_on_target(a, "qemu"));
	assert_false(hcf_anomaly_on_target(a, "kvm"));
	assert_true(hcf_anomaly_on_target(&abi->anomalies[0], "kvm"));
	hcf_spec_free(abi);

#define KA_HEAD HEAD "calls:\n  - {name: a, nr: 1, input: {v: rbx}}\nknown_anomalies:\n"
#define KA_REST "calls: a, reproduce: x, evidence: e}\n"
	buf_err(KA_HEAD "  - {id: x, summary: s, match: {reg: rax, value: 1}}\n", 9, 5,
		"missing required key 'calls'");
	buf_err(KA_HEAD "  - {id: \"a b\", summary: s, match: {reg: rax, value: 1}, " KA_REST, 9, 10,
		"anomaly id 'a b'");
	buf_err(KA_HEAD "  - {id: x, summary: s, match: {reg: rax, value: 1}, " KA_REST
			"  - {id: x, summary: s, match: {reg: rax, value: 1}, " KA_REST,
		10, 10, "anomaly id 'x' already used at 9:5");
	buf_err(KA_HEAD "  - {id: x, summary: s, match: {reg: rax}, " KA_REST, 9, 38,
		"reg: needs value:");
	buf_err(KA_HEAD "  - {id: x, summary: s, match: {reg: rax, value: 1, exception: GP}, " KA_REST,
		9, 32, "exactly one of reg:");
	buf_err(KA_HEAD "  - {id: x, summary: s, match: {outcome: harness-error}, " KA_REST, 9, 42,
		"a way the hypervisor ends a guest");
	buf_err(KA_HEAD "  - {id: x, summary: s, match: {exception: GP}, targets: [kvm, \"Q E\"], "
			KA_REST, 9, 64, "targets: a target name");
	buf_err(KA_HEAD "  - {id: x, summary: s, calls: [a, c], match: {exception: GP}, "
			"reproduce: x, evidence: e}\n", 9, 36, "unknown call 'c'");
	buf_err(KA_HEAD "  - {id: x, summary: s, match: {exception: GP}, when: {w: 1}, " KA_REST, 9, 56,
		"'w' is neither an input of a nor a register");
	buf_err(KA_HEAD "  - {id: x, summary: s, match: {memory: {at: v, size: 0}}, " KA_REST, 9, 55,
		"a window of size 0");
	buf_err(KA_HEAD "  - {id: x, summary: s, checks: [telepathy], match: {exception: GP}, " KA_REST,
		9, 34, "checks: an oracle name");
	buf_err(KA_HEAD "  - {id: x, summary: s, match: {exception: GP, rip: 1}, " KA_REST, 9, 53,
		"rip: goes with outcome:");
	buf_err(KA_HEAD "  - {id: x, summary: s, after: {call: z}, match: {exception: GP}, " KA_REST,
		9, 39, "after: unknown call 'z'");
#undef KA_HEAD
#undef KA_REST
}

/* Checks that are easier to read next to their input. */
static void test_buffer_errors(void **state)
{
	buf_err(HEAD "calls:\n  - {name: a, nr: 1, input: {x: {reg: ecx, hints: [0x100000000]}}}\n", 7,
		51, "does not fit 32 bits");
	buf_err(HEAD "calls:\n  - {name: a, nr: 1, input: {x: rax}}\n", 7, 30,
		"carries the call number");
	buf_err("hcfuzz_spec: 1\nabi: t\ntransport: vmcall\ncall_number: {reg: rax}\nreturn: rbx\n"
		"calls:\n  - {name: a, nr: 1, input: {x: rbx}}\n", 7, 30,
		"both input and the return register");
	buf_err(HEAD "calls:\n  - {name: a, nr: 1, errors: [5]}\n", 7, 30,
		"errors listed but the error convention is none");
	buf_err("hcfuzz_spec: 1\nabi: t\ntransport: vmcall\ncall_number: {reg: rax}\n"
		"calls:\n  - {name: a, nr: 1, returns: [0]}\n", 6, 31, "no return register");
	buf_err("hcfuzz_spec: 1\nabi: t\ntransport: vmcall\ncall_number: {reg: rax}\n"
		"error_convention: negative_errno\n" CALLS, 5, 19, "needs a return register");
	buf_err(HEAD "calls:\n  - {name: a, nr: 1, output: {x: {reg: rbx, hints: [1]}}}\n", 7, 52,
		"hints apply to inputs");
	buf_err(HEAD "calls:\n  - {name: a, nr: 1, input: {x: {reg: rbx, nondeterministic: any}}}\n",
		7, 62, "nondeterministic applies to outputs");
	buf_err(HEAD "calls:\n  - {name: a, nr: 1, input: {x: rbx}, inout: {y: rbx}}\n", 7, 47,
		"register rbx named twice (input 'x' at 7:30 and inout 'y')");
	buf_err(HEAD "calls:\n  - {name: a, nr: 1, input: {x: rbx}, output: {x: rcx}}\n", 7, 48,
		"argument name 'x' already used at 7:30");
	buf_err(HEAD "calls:\n  - {name: a, nr: 1, input: {x: rsp}}\n", 7, 33,
		"the guest agent needs its stack");
	buf_err(HEAD "calls:\n  - {name: a, nr: 1, destructive: ''}\n", 7, 35,
		"destructive must be true, false or a reason");
	buf_err(HEAD "calls:\n  - {name: a.b, nr: 1}\n", 7, 12, "use letters, digits");
	buf_err(HEAD "calls:\n  - {name: a, nr: '1'}\n", 7, 19, "not a quoted string");
	buf_err(HEAD "calls:\n  - {name: a, nr: 017}\n", 7, 19, "bad integer '017'");
	buf_err(HEAD "calls:\n  - {name: a, nr: -1}\n", 7, 19, "out of range");
	buf_err(HEAD "calls:\n  - {name: a, nr: 1, clobbers: [rbx, bogus]}\n", 7, 38,
		"unknown register 'bogus'");
	buf_err(HEAD "calls:\n  - {name: a, nr: 1, error_convention: maybe}\n", 7, 40,
		"unknown error convention 'maybe'");
	buf_err(HEAD "calls: []\n", 6, 8, "calls must be a non-empty list");
	buf_err(HEAD "subop: {reg: rdi}\ncalls:\n  - {name: a, nr: 1, subops: []}\n", 8, 30,
		"subops must be a non-empty list");
	buf_err(HEAD "subop: {reg: rdi}\ncalls:\n  - {name: a, nr: 1, input: {x: rbx}, subops: "
		"[{name: s, index: 0}]}\n", 8, 22, "declare input/output/inout per subop");
	buf_err(HEAD "subop: {reg: rdi}\ncalls:\n  - {name: a, nr: 1, subops: [{name: s, index: 0, "
		"input: {x: rdi}}]}\n", 8, 59, "carries the sub-operation index");
	buf_err(HEAD "subop: {reg: rdi}\ncalls:\n  - {name: a, nr: 1, subops: [{name: s, index: 0, "
		"nr: 4}]}\n", 8, 51, "unknown key 'nr' in subop");
	buf_err(HEAD "subop: {reg: rdi}\ncalls:\n  - {name: a, nr: 1, subops: [{name: s, index: 0}, "
		"{name: s, index: 1}]}\n", 8, 52, "subop name 's' already used at 8:31");
	buf_err(HEAD "subop: eax\n" CALLS, 6, 8, "cannot be the call number register");
	buf_err(HEAD "structs: {s: {size: 8, fields: {a: {offset: 0, size: 8, buffer: nope}}}}\n" CALLS,
		6, 65, "buffer length field 'nope' is not another field");
	buf_err(HEAD "structs: {s: {size: 8, align_down: 24}}\n" CALLS, 6, 36,
		"struct 's': align_down 24 is not a power of two");
	buf_err(HEAD "structs: {s: {size: 8, align_down: 0}}\n" CALLS, 6, 36,
		"align_down 0 is not a power of two");
	buf_err(HEAD "structs: {s: {size: 8, align_down: 8192}}\n" CALLS, 6, 36,
		"out of range");
	buf_err(HEAD "structs: {s: {size: 8, fields: {a: {offset: 0, size: 8, dir: sideways}}}}\n" CALLS,
		6, 62, "must be in, out or inout");
	buf_err(HEAD "structs: {s: {size: 8, fields: {a: {offset: 0, size: 8, status: true}}}}\n" CALLS,
		6, 65, "status field 'a' must be out or inout");
	buf_err(HEAD "structs: {s: {size: 0}}\n" CALLS, 6, 21, "struct 's' has size 0");
	buf_err(HEAD "constants: {1X: 3}\n" CALLS, 6, 13, "must be an identifier");
	buf_err(HEAD "constants: {X: 3, X: 4}\n" CALLS, 6, 19, "duplicate key 'X' (first at 6:13)");
	buf_err(HEAD "exceptions: [GP, '#XX']\n" CALLS, 6, 18, "unknown exception '#XX'");
	buf_err(HEAD "call_number: {reg: rbx}\n" CALLS, 6, 1, "duplicate key 'call_number'");
	buf_err("hcfuzz_spec: 1\nabi: t\ntransport: vmcall\ncall_number: {reg: eax, or_mask: "
		"0x100000000}\n" CALLS, 4, 34, "does not fit the 32-bit number register");
	buf_err("hcfuzz_spec: 1\nabi: t\ntransport: vmcall\n" CALLS, 1, 1,
		"missing required key 'call_number'");
	buf_err("hcfuzz_spec: 1\nabi: t\ntransport: {kind: pio, port: 0xfff0, width: 1}\n"
		"calls:\n  - {name: a, nr: 0x10}\n", 5, 19, "out of range 0..0xf");
	buf_err(HEAD "undeclared: {returns: [0], exceptions: [0x20]}\n" CALLS, 6, 41, "out of range");
	buf_err(HEAD "undeclared: {return: [0]}\n" CALLS, 6, 14, "unknown key 'return' in undeclared");
}

/* ---- buffers, lookups, value sets --------------------------------------- */

static void test_load_buffer(void **state)
{
	char name[32];
	snprintf(name, sizeof(name), "embedded.yaml");
	const char *text = HEAD "calls:\n  - {name: hello, nr: 0x10, returns: [0]}\n";
	struct hcf_abi *abi = NULL;

	/* NULL diags is allowed; the name is copied, so reusing the buffer
	 * afterwards must not change positions. */
	assert_int_equal(hcf_spec_load_buffer(name, text, strlen(text), &abi, NULL), 0);
	memset(name, 'x', sizeof(name) - 1);
	assert_string_equal(abi->path, "embedded.yaml");
	assert_string_equal(abi->ops[0].pos.file, "embedded.yaml");
	assert_int_equal(abi->ops[0].pos.line, 7);
	assert_int_equal(abi->ops[0].pos.col, 5);
	assert_int_equal(abi->calls[0].nr, 0x10);
	hcf_spec_free(abi);

	/* Only len bytes count: the text after them is not read. */
	const char *two = HEAD CALLS "garbage: [";
	abi = NULL;
	assert_int_equal(hcf_spec_load_buffer("x", two, strlen(two) - strlen("garbage: ["), &abi,
					      NULL), 0);
	hcf_spec_free(abi);

	/* A FastABI file from memory: the ABI is named after the operation. */
	const char *fa = "name: console_io\nhypercall_index: 18\ninput:\n  count: 2\n  buf: 3\n"
			 "output:\n  count: 2\n";
	abi = buf_ok(fa);
	assert_string_equal(abi->name, "console_io");
	assert_int_equal(abi->nops, 1);
	assert_false(abi->ops[0].has_subop);
	assert_int_equal(abi->ops[0].in_mask, R(RAX) | R(RSI) | R(R8));
	assert_int_equal(abi->ops[0].args[0].dir, HCF_DIR_INOUT);
	assert_string_equal(abi->ops[0].args[0].name, "count");
	hcf_spec_free(abi);
	/* Without sub-operations reg1 is an ordinary register. */
	abi = buf_ok("name: x\nhypercall_index: 1\ninput:\n  a: 1\n");
	assert_int_equal(abi->ops[0].in_mask, R(RAX) | R(RDI));
	hcf_spec_free(abi);
}

static void test_find_op_subops(void **state)
{
	struct hcf_abi *abi = load_ok("tests/fixtures/specs/valid/full.yaml");
	assert_string_equal(hcf_spec_find_op(abi, 3, 0)->name, "multi.a");
	assert_string_equal(hcf_spec_find_op(abi, 3, 5)->name, "multi.b");
	assert_string_equal(hcf_spec_find_op(abi, 3, 7)->name, "multi.c");
	assert_null(hcf_spec_find_op(abi, 3, 6));
	/* Calls without sub-operations ignore the index. */
	assert_string_equal(hcf_spec_find_op(abi, 1, 77)->name, "rw");
	assert_null(hcf_spec_find_op(abi, 9, 0));
	assert_null(hcf_spec_op_by_name(abi, "multi"));
	assert_null(hcf_spec_struct(abi, "nope"));
	assert_null(hcf_spec_const(abi, "NOPE"));
	hcf_spec_free(abi);
}

static void test_vset_contains(void **state)
{
	struct hcf_vrange r[] = { { -5, -5 }, { 0, 10 }, { INT64_MAX, INT64_MAX } };
	struct hcf_vset s = { false, 3, r }, empty = { false, 0, NULL }, any = { true, 0, NULL };
	assert_true(hcf_vset_contains(&s, -5));
	assert_false(hcf_vset_contains(&s, -4));
	assert_true(hcf_vset_contains(&s, 0));
	assert_true(hcf_vset_contains(&s, 10));
	assert_false(hcf_vset_contains(&s, 11));
	assert_true(hcf_vset_contains(&s, INT64_MAX));
	assert_false(hcf_vset_contains(&s, INT64_MIN));
	assert_false(hcf_vset_contains(&empty, 0));
	assert_true(hcf_vset_contains(&any, INT64_MIN));

	/* From a spec: 64-bit patterns, negative names, ranges. */
	struct hcf_abi *abi = buf_ok(HEAD "constants: {E: 7}\ncalls:\n  - {name: a, nr: 1, returns: "
				     "[0xffffffffffffffff, -E, {min: -0x8000000000000000, max: "
				     "-100}, 9223372036854775807]}\n");
	const struct hcf_vset *rs = &abi->ops[0].returns;
	assert_false(rs->any);
	assert_true(hcf_vset_contains(rs, -1));
	assert_true(hcf_vset_contains(rs, -7));
	assert_true(hcf_vset_contains(rs, INT64_MIN));
	assert_true(hcf_vset_contains(rs, -100));
	assert_false(hcf_vset_contains(rs, -99));
	assert_true(hcf_vset_contains(rs, INT64_MAX));
	assert_false(hcf_vset_contains(rs, 0));
	hcf_spec_free(abi);
}

static void test_multiple_errors(void **state)
{
	const char *text = HEAD "calls:\n"
			   "  - {name: a, nr: 1, input: {x: rzz}}\n"
			   "  - {name: b, nr: 2, bogus: 1}\n"
			   "  - {name: c, nr: 2, returns: [NOPE]}\n"
			   "  - {name: d, nr: zz}\n";
	struct hcf_diags d;
	struct hcf_abi *abi;
	hcf_diags_init(&d);
	assert_int_equal(hcf_spec_load_buffer("m.yaml", text, strlen(text), &abi, &d), -1);
	assert_null(abi);
	expect_diag(&d, 7, 33, "unknown register", "multi");
	expect_diag(&d, 8, 22, "unknown key 'bogus'", "multi");
	expect_diag(&d, 9, 32, "unknown constant 'NOPE'", "multi");
	expect_diag(&d, 10, 19, "bad integer 'zz'", "multi");
	expect_diag(&d, 9, 5, "call number 2 already used by b at 8:5", "multi");
	assert_int_equal(d.n, 5);
}

/* ---- robustness ---------------------------------------------------------- */

/* Whatever the input: 0 with an ABI, or -1 with no ABI and a diagnostic. */
static void load_any(const char *text, size_t len)
{
	struct hcf_diags d;
	struct hcf_abi *abi = (struct hcf_abi *)&d;
	hcf_diags_init(&d);
	int rc = hcf_spec_load_buffer("fuzz", text, len, &abi, &d);
	if (rc == 0) {
		assert_non_null(abi);
		hcf_spec_free(abi);
	} else {
		assert_int_equal(rc, -1);
		assert_null(abi);
		assert_true(d.n >= 1);
	}
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_hostile_input(void **state)
{
	buf_err("", 1, 1, "empty file");
	buf_err("# only a comment\n", 1, 1, "empty file");
	buf_err("hcfuzz_spec: 1\n---\nabi: x\n", 2, 1, "second YAML document");
	buf_err("\x01\x02\xff\xfe garbage", 1, 1, "YAML syntax error");
	buf_err("hcfuzz_spec: 184467440737095516160\n", 1, 14, "bad integer");
	buf_err("[1, 2]\n", 1, 1, "top level must be a mapping");
	buf_err("? [a]\n: b\n", 1, 3, "mapping keys must be plain strings");

	/* Deep nesting stops at the limit instead of recursing. */
	size_t depth = 100000;
	char *deep = hcf_xmalloc(2 * depth + 16);
	memcpy(deep, "a: ", 3);
	memset(deep + 3, '[', depth);
	memset(deep + 3 + depth, ']', depth);
	deep[3 + 2 * depth] = '\0';
	buf_err(deep, 1, 67, "nesting deeper than 64 levels");
	free(deep);

	/* A key as long as a page, in every message that quotes it. */
	char *longkey = hcf_xmalloc(5000);
	memset(longkey, 'k', 4096);
	strcpy(longkey + 4096, ": 1\nhcfuzz_spec: 1\n");
	load_any(longkey, strlen(longkey));
	free(longkey);

	/* Random bytes, with and without YAML punctuation. */
	char buf[512];
	static const char alphabet[] = "ab:- \n[]{},'\"#&*!|>%@`0x1\t\\";
	for (int i = 0; i < 3000; i++) {
		size_t len = rng() % sizeof(buf);
		for (size_t j = 0; j < len; j++)
			buf[j] = i & 1 ? (char)rng() : alphabet[rng() % (sizeof(alphabet) - 1)];
		load_any(buf, len);
	}

	/* Every prefix of real specs, and single-byte mutations of them. */
	static const char *const files[] = { "specs/kvm.yaml", "tests/fixtures/xen-fastabi/vcpu.yml",
					     "tests/fixtures/specs/valid/full.yaml" };
	for (size_t f = 0; f < 3; f++) {
		char *path = src_path(files[f]);
		size_t len;
		char *text = hcf_read_file(path, 1 << 20, &len);
		assert_non_null(text);
		for (size_t n = 0; n <= len; n += 1 + n / 64)
			load_any(text, n);
		char *mut = hcf_xmalloc(len + 1);
		static const char subst[] = "x0:-[{ \n#9&*'";
		for (int i = 0; i < 1500; i++) {
			memcpy(mut, text, len);
			size_t at = rng() % len;
			mut[at] = rng() & 1 ? subst[rng() % (sizeof(subst) - 1)] : (char)rng();
			load_any(mut, len);
		}
		free(mut);
		free(text);
		free(path);
	}
}

static void test_many_calls(void **state)
{
	/* 20000 calls with one number: each later one is reported (32 kept,
	 * the rest counted), and the check is not quadratic. */
	size_t n = 20000;
	size_t cap = n * 32 + 256, off = 0;
	char *text = hcf_xmalloc(cap);
	off += (size_t)snprintf(text, cap, HEAD "calls:\n");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, cap - off, "  - {name: c%zu, nr: 1}\n", i);
	struct hcf_diags d;
	struct hcf_abi *abi;
	hcf_diags_init(&d);
	assert_int_equal(hcf_spec_load_buffer("many", text, off, &abi, &d), -1);
	assert_int_equal(d.n, HCF_DIAG_MAX);
	assert_int_equal(d.n + d.dropped, n - 1);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kvm_spec),
		cmocka_unit_test(test_fastabi_files),
		cmocka_unit_test(test_fastabi_masks),
		cmocka_unit_test(test_fastabi_inout),
		cmocka_unit_test(test_fastabi_dir),
		cmocka_unit_test(test_fastabi_dir_conflict),
		cmocka_unit_test(test_fastabi_texts),
		cmocka_unit_test(test_full_fixture),
		cmocka_unit_test(test_pio_mmio),
		cmocka_unit_test(test_backdoor_port),
		cmocka_unit_test(test_transports),
		cmocka_unit_test(test_transport_list),
		cmocka_unit_test(test_op_watchdog),
		cmocka_unit_test(test_invalid_fixtures),
		cmocka_unit_test(test_struct_align_down),
		cmocka_unit_test(test_pointers),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_undeclared_per_call),
		cmocka_unit_test(test_loss_model),
		cmocka_unit_test(test_known_anomalies),
		cmocka_unit_test(test_buffer_errors),
		cmocka_unit_test(test_load_buffer),
		cmocka_unit_test(test_find_op_subops),
		cmocka_unit_test(test_vset_contains),
		cmocka_unit_test(test_multiple_errors),
		cmocka_unit_test(test_hostile_input),
		cmocka_unit_test(test_many_calls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
