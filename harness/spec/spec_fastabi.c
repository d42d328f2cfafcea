/*
 * spec_fastabi.c: the Xen FastABI dialect.
 *
 * The FastABI RFC patch (docs/guest-guide/x86/fastabi.pandoc, xen/abi/NAME.yml)
 * describes each hypercall operation in one YAML file: its name, its
 * hypercall index and its sub-operations, each with inputs and outputs named
 * by register index (reg0..reg7) and C binding hints. Those files load here
 * unmodified. What the files leave to the prose of the patch is fixed in
 * hcf_spec_fastabi_init: the register order, the 0x40000000 mask on reg0,
 * the native hypercall instruction, reg0 as the errno / result register and
 * no implicit clobbers (an input register stays unchanged unless it is also
 * an output, which makes a register named under both input and output INOUT);
 * that Xen offers the ABI only where it sets XEN_HVM_CPUID_FASTABI (a
 * requirement, spec.h), and the reference model "xen-fastabi".
 */
#include <stdlib.h>
#include <string.h>

#include "spec/spec_parse.h"
#include "spec/transport.h"
#include "util/xalloc.h"

#define S HCF_YT_SCALAR
#define M HCF_YT_MAP

#define FASTABI_MASK 0x40000000ull /* __HYPERVISOR_FASTABI_MASK */
/* The patch's public/arch-x86/cpuid.h addition: bit 7 of EAX of Xen's
 * HVM-features leaf (base + 4) */
#define XEN_HVM_CPUID_FASTABI 0x80u
#define FASTABI_NREGS 8

/* regN -> register, from the patch's "Semantics" list. */
static const uint8_t fastabi_regs[FASTABI_NREGS] = {
	HCF_RAX, HCF_RDI, HCF_RSI, HCF_R8, HCF_R9, HCF_R10, HCF_R11, HCF_R12,
};

/*
 * Xen's errno values (xen/include/public/errno.h) that a guest may see. The
 * FastABI files say nothing about which errors an operation returns, so every
 * op allows all of these; EINTR (4) and ERESTART (85) are left out on
 * purpose: the header marks them internal, and one reaching the guest is a
 * hypervisor bug. The names also label values in reports.
 */
static const struct {
	const char *name;
	int64_t value;
} xen_errnos[] = {
	{ "EPERM", 1 },         { "ENOENT", 2 },         { "ESRCH", 3 },      { "EIO", 5 },
	{ "ENXIO", 6 },         { "E2BIG", 7 },          { "ENOEXEC", 8 },    { "EBADF", 9 },
	{ "ECHILD", 10 },       { "EAGAIN", 11 },        { "ENOMEM", 12 },    { "EACCES", 13 },
	{ "EFAULT", 14 },       { "EBUSY", 16 },         { "EEXIST", 17 },    { "EXDEV", 18 },
	{ "ENODEV", 19 },       { "ENOTDIR", 20 },       { "EISDIR", 21 },    { "EINVAL", 22 },
	{ "ENFILE", 23 },       { "EMFILE", 24 },        { "ENOSPC", 28 },    { "EROFS", 30 },
	{ "EMLINK", 31 },       { "EDOM", 33 },          { "ERANGE", 34 },    { "EDEADLK", 35 },
	{ "ENAMETOOLONG", 36 }, { "ENOLCK", 37 },        { "ENOSYS", 38 },    { "ENOTEMPTY", 39 },
	{ "ENODATA", 61 },      { "ETIME", 62 },         { "EBADMSG", 74 },   { "EOVERFLOW", 75 },
	{ "EILSEQ", 84 },       { "ENOTSOCK", 88 },      { "EMSGSIZE", 90 },  { "EOPNOTSUPP", 95 },
	{ "EADDRINUSE", 98 },   { "EADDRNOTAVAIL", 99 }, { "ENOBUFS", 105 },  { "EISCONN", 106 },
	{ "ENOTCONN", 107 },    { "ETIMEDOUT", 110 },    { "ECONNREFUSED", 111 },
};
#define XEN_ENOSYS 38

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

enum { FK_NAME, FK_INDEX, FK_SUBOPS, FK_INPUT, FK_OUTPUT, FK_CLANG, FK_COUNT };
static const struct hcf_spec_key file_keys[FK_COUNT] = {
	[FK_NAME] = { "name", S, true, 0 },
	[FK_INDEX] = { "hypercall_index", S, true, 0 },
	[FK_SUBOPS] = { "subops", M, false, 0 },
	[FK_INPUT] = { "input", M, false, 0 },
	[FK_OUTPUT] = { "output", M, false, 0 },
	[FK_CLANG] = { "c_lang", M, false, 0 },
};

enum { SK_INDEX, SK_INPUT, SK_OUTPUT, SK_CLANG, SK_COUNT };
static const struct hcf_spec_key subop_keys[SK_COUNT] = {
	[SK_INDEX] = { "index", S, true, 0 },
	[SK_INPUT] = { "input", M, false, 0 },
	[SK_OUTPUT] = { "output", M, false, 0 },
	[SK_CLANG] = { "c_lang", M, false, 0 },
};

static const struct hcf_spec_key clang_keys[] = {
	{ "struct", S, false, 0 },
	{ "params", M, false, 0 },
	{ "mapping", M, false, 0 },
};

void hcf_spec_fastabi_init(struct hcf_spec_ctx *c)
{
	struct hcf_abi *abi = c->abi;

	abi->dialect = HCF_DIALECT_XEN_FASTABI;
	abi->spec_version = 0; /* the files carry no version */
	memset(&abi->transport, 0, sizeof(abi->transport));
	abi->transport.kind = HCF_XPORT_NATIVE;
	abi->transport.clobbers = hcf_xport_info(HCF_XPORT_NATIVE)->clobbers;
	abi->nr_reg = fastabi_regs[0];
	abi->nr_width = 64;
	abi->nr_or_mask = FASTABI_MASK;
	abi->subop_reg = fastabi_regs[1];
	abi->subop_width = 64;
	abi->clobbers = 0;
	abi->ret_reg = fastabi_regs[0];
	abi->ret_width = 64;
	abi->err = HCF_ERR_NEG_ERRNO;

	abi->consts = hcf_xcalloc(NELEM(xen_errnos), sizeof(*abi->consts));
	for (size_t i = 0; i < NELEM(xen_errnos); i++) {
		abi->consts[i].name = hcf_xstrdup(xen_errnos[i].name);
		abi->consts[i].value = xen_errnos[i].value;
	}
	abi->nconsts = NELEM(xen_errnos);
	abi->undeclared.returns.r = hcf_xcalloc(1, sizeof(*abi->undeclared.returns.r));
	abi->undeclared.returns.r[0].lo = abi->undeclared.returns.r[0].hi = -XEN_ENOSYS;
	abi->undeclared.returns.n = 1;
	abi->undeclared.exceptions = 0;

	/* What the patch's prose says besides the registers: the ABI exists
	 * where Xen sets XEN_HVM_CPUID_FASTABI, and hcfuzz's FastABI model
	 * (oracles/models/model_xen_fastabi.c) predicts it. */
	abi->model = hcf_xstrdup("xen-fastabi");
	hcf_spec_require_cpuid(abi, "XEN_HVM_CPUID_FASTABI",
			       "fastabi.pandoc: \"This interface is only supported if "
			       "XEN_HVM_CPUID_FASTABI is set\" (EAX bit 7 of Xen's HVM leaf, base+4)",
			       "XenVMMXenVMM", 4, 0, XEN_HVM_CPUID_FASTABI);
}

/* Names of calls and sub-operations become "call.subop": no dots. */
static bool name_ok(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *what)
{
	for (const char *s = n->str; *s; s++)
		if (*s == '.' || *s == ' ' || *s == '\t') {
			hcf_spec_err(c, n, "%s '%.40s' must not contain '.' or blanks", what, n->str);
			return false;
		}
	return true;
}

/* Shape of c_lang: only checked, the loader has no use for C bindings. */
static void check_clang(struct hcf_spec_ctx *c, const struct hcf_ynode *n)
{
	const struct hcf_ynode *v[NELEM(clang_keys)];
	if (!hcf_spec_map_keys(c, n, "c_lang", clang_keys, NELEM(clang_keys), 0, v))
		return;
	if (v[0])
		hcf_y_str(c, v[0], "c_lang.struct");
	for (size_t k = 1; k < NELEM(clang_keys); k++) {
		if (!v[k])
			continue;
		hcf_spec_check_dup_keys(c, v[k]);
		for (size_t i = 0; i < hcf_y_npairs(v[k]); i++)
			hcf_y_str(c, hcf_y_val(v[k], i), clang_keys[k].name);
	}
}

/* input: / output: {name: N}. by_reg[N] gets the key node of the argument
 * on regN; order[] lists the register indices in file order. */
struct regmap {
	const struct hcf_ynode *by_reg[FASTABI_NREGS];
	unsigned order[FASTABI_NREGS];
	unsigned n;
};

static void parse_regmap(struct hcf_spec_ctx *c, const struct hcf_ynode *map, bool is_input,
			 bool has_subop, struct regmap *rm)
{
	const char *section = is_input ? "input" : "output";
	memset(rm, 0, sizeof(*rm));
	if (!map || map->kind != HCF_Y_MAP)
		return;
	hcf_spec_check_dup_keys(c, map);
	for (size_t i = 0; i < hcf_y_npairs(map); i++) {
		const struct hcf_ynode *k = hcf_y_key(map, i), *v = hcf_y_val(map, i);
		uint64_t idx;
		if (k->len == 0) {
			hcf_spec_err(c, k, "%s argument without a name", section);
			continue;
		}
		if (!hcf_y_uint(c, v, UINT64_MAX, "register index", &idx))
			continue;
		if (idx >= FASTABI_NREGS) {
			hcf_spec_err(c, v, "reg%llu does not exist: FastABI registers are reg0..reg7",
				     (unsigned long long)idx);
			continue;
		}
		unsigned r = (unsigned)idx;
		if (is_input && r == 0) {
			hcf_spec_err(c, v, "reg0 (rax) carries the hypercall index; it cannot be an "
					   "input ('%.40s')", k->str);
			continue;
		}
		if (is_input && r == 1 && has_subop) {
			hcf_spec_err(c, v, "reg1 (rdi) carries the sub-operation index; it cannot be "
					   "an input ('%.40s')", k->str);
			continue;
		}
		if (rm->by_reg[r]) {
			const struct hcf_ynode *p = rm->by_reg[r];
			hcf_spec_err(c, k, "reg%u (%s) named twice in %s ('%.40s' at %u:%u and "
					   "'%.40s')", r, hcf_reg_name(fastabi_regs[r]), section, p->str,
				     p->line, p->col, k->str);
			continue;
		}
		rm->by_reg[r] = k;
		rm->order[rm->n++] = r;
	}
}

static void add_arg(struct hcf_spec_ctx *c, struct hcf_op *op, char *name, unsigned r,
		    enum hcf_dir dir, const struct hcf_ynode *at)
{
	op->args = hcf_xreallocarray(op->args, op->nargs + 1, sizeof(*op->args));
	struct hcf_arg *a = &op->args[op->nargs++];
	memset(a, 0, sizeof(*a));
	a->name = name;
	a->reg = fastabi_regs[r];
	a->width = 64;
	a->dir = dir;
	a->struct_idx = -1;
	a->count_arg = -1;
	a->pos = hcf_spec_pos(c, at);
	if (dir & HCF_DIR_IN)
		op->in_mask |= HCF_REGBIT(a->reg);
	if (dir & HCF_DIR_OUT)
		op->out_mask |= HCF_REGBIT(a->reg);
}

static void build_op(struct hcf_spec_ctx *c, size_t ci, const struct hcf_ynode *subname,
		     uint64_t index, const struct hcf_ynode *in, const struct hcf_ynode *out,
		     const struct hcf_ynode *at)
{
	struct hcf_abi *abi = c->abi;
	bool has_subop = subname != NULL;
	struct regmap rin, rout;

	parse_regmap(c, in, true, has_subop, &rin);
	parse_regmap(c, out, false, has_subop, &rout);

	size_t oi = hcf_spec_new_op(c);
	struct hcf_op *op = &abi->ops[oi];
	const struct hcf_call *cl = &abi->calls[ci];
	op->call_name = hcf_xstrdup(cl->name);
	op->name = has_subop ? hcf_xasprintf("%s.%s", cl->name, subname->str)
			     : hcf_xstrdup(cl->name);
	op->call_idx = (int)ci;
	op->nr = cl->nr;
	op->has_subop = has_subop;
	op->subop = index;
	op->pos = hcf_spec_pos(c, at);
	op->ret_reg = abi->ret_reg;
	op->ret_width = abi->ret_width;
	op->err = abi->err;
	/* The files list no result values: any success value is allowed in
	 * reg0, and any error Xen may return to a guest. */
	op->returns.any = true;
	op->errors = hcf_xcalloc(NELEM(xen_errnos), sizeof(*op->errors));
	for (size_t i = 0; i < NELEM(xen_errnos); i++)
		op->errors[i] = xen_errnos[i].value;
	op->nerrors = NELEM(xen_errnos);
	op->in_mask = HCF_REGBIT(abi->nr_reg);
	if (has_subop)
		op->in_mask |= HCF_REGBIT(abi->subop_reg);
	op->out_mask = HCF_REGBIT(abi->ret_reg);

	/* A register both input and output is one INOUT argument, named
	 * "input/output" when the two names differ. */
	for (unsigned i = 0; i < rin.n; i++) {
		unsigned r = rin.order[i];
		const struct hcf_ynode *ik = rin.by_reg[r], *ok = rout.by_reg[r];
		if (ok) {
			char *name = strcmp(ik->str, ok->str)
					     ? hcf_xasprintf("%s/%s", ik->str, ok->str)
					     : hcf_xstrdup(ik->str);
			add_arg(c, op, name, r, HCF_DIR_INOUT, ik);
		} else {
			add_arg(c, op, hcf_xstrdup(ik->str), r, HCF_DIR_IN, ik);
		}
	}
	for (unsigned i = 0; i < rout.n; i++) {
		unsigned r = rout.order[i];
		if (!rin.by_reg[r])
			add_arg(c, op, hcf_xstrdup(rout.by_reg[r]->str), r, HCF_DIR_OUT,
				rout.by_reg[r]);
	}
}

void hcf_spec_fastabi_add_file(struct hcf_spec_ctx *c, const struct hcf_ynode *root)
{
	struct hcf_abi *abi = c->abi;
	const struct hcf_ynode *v[FK_COUNT];
	uint64_t index;

	hcf_spec_map_keys(c, root, "a FastABI file", file_keys, FK_COUNT, 0, v);
	if (!v[FK_NAME] || !v[FK_INDEX])
		return;
	const char *name = hcf_y_str(c, v[FK_NAME], "name");
	if (!name || !name_ok(c, v[FK_NAME], "name"))
		return;
	/* Bit 30 is the FastABI mask itself; an index reaching it would be
	 * indistinguishable once OR-ed in. */
	if (!hcf_y_uint(c, v[FK_INDEX], FASTABI_MASK - 1, "hypercall_index", &index))
		return;

	size_t ci = hcf_spec_new_call(c);
	struct hcf_call *cl = &abi->calls[ci];
	cl->name = hcf_xstrdup(name);
	cl->nr = index;
	cl->pos = hcf_spec_pos(c, v[FK_INDEX]);
	cl->first_op = abi->nops;
	if (v[FK_CLANG])
		check_clang(c, v[FK_CLANG]);

	if (!v[FK_SUBOPS]) {
		build_op(c, ci, NULL, 0, v[FK_INPUT], v[FK_OUTPUT], root);
		abi->calls[ci].nops = 1;
		return;
	}
	abi->calls[ci].has_subops = true;
	if (v[FK_INPUT] || v[FK_OUTPUT] || v[FK_CLANG]) {
		const struct hcf_ynode *bad = v[FK_INPUT] ? v[FK_INPUT]
					      : v[FK_OUTPUT] ? v[FK_OUTPUT] : v[FK_CLANG];
		hcf_spec_err(c, bad, "a file with subops declares input, output and c_lang per "
				     "sub-operation");
	}
	const struct hcf_ynode *subops = v[FK_SUBOPS];
	size_t n = hcf_y_npairs(subops);
	if (n == 0) {
		hcf_spec_err(c, subops, "subops is empty");
		return;
	}
	hcf_spec_check_dup_keys(c, subops);
	uint64_t *idx = hcf_xcalloc(n, sizeof(*idx));
	const char **owners = hcf_xcalloc(n, sizeof(*owners));
	struct hcf_srcpos *pos = hcf_xcalloc(n, sizeof(*pos));
	size_t ok = 0;
	for (size_t i = 0; i < n; i++) {
		const struct hcf_ynode *k = hcf_y_key(subops, i), *sv[SK_COUNT];
		uint64_t sub;
		hcf_spec_map_keys(c, hcf_y_val(subops, i), "a sub-operation", subop_keys, SK_COUNT,
				  0, sv);
		if (!sv[SK_INDEX])
			continue;
		if (k->len == 0) {
			hcf_spec_err(c, k, "sub-operation without a name");
			continue;
		}
		if (!name_ok(c, k, "sub-operation name"))
			continue;
		if (!hcf_y_uint(c, sv[SK_INDEX], UINT64_MAX, "index", &sub))
			continue;
		if (sv[SK_CLANG])
			check_clang(c, sv[SK_CLANG]);
		build_op(c, ci, k, sub, sv[SK_INPUT], sv[SK_OUTPUT], k);
		idx[ok] = sub;
		owners[ok] = k->str;
		pos[ok] = hcf_spec_pos(c, sv[SK_INDEX]);
		ok++;
	}
	abi->calls[ci].nops = abi->nops - abi->calls[ci].first_op;
	hcf_spec_dup_numbers(c, ok, idx, owners, pos, "sub-operation index");
	free(idx);
	free(owners);
	free(pos);
}

void hcf_spec_fastabi_finish(struct hcf_spec_ctx *c)
{
	hcf_spec_check_call_dups(c);
}
