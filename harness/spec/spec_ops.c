/*
 * spec_ops.c: the native language's calls and sub-operations, their
 * registers, properties and pointers, and the walk over a whole spec.
 */
#include "spec/spec_native.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spec/spec_parse.h"
#include "spec/transport.h"
#include "util/fileio.h"
#include "util/x86.h"
#include "util/xalloc.h"

/* ---- calls and ops ----------------------------------------------------- */

enum { CK_NAME, CK_NR, CK_INDEX, CK_DOC, CK_INPUT, CK_OUTPUT, CK_INOUT, CK_RETURN, CK_CLOBBERS,
       CK_RETURNS, CK_ERRORS, CK_ERRCONV, CK_EXC, CK_RFLAGS, CK_DESTR, CK_SUBOPS, CK_WATCHDOG,
       CK_BLOCKS, CK_UNDECL, CK_ENDS, CK_COUNT };
static hcf_regmask_t any_transport_clobbers(const struct hcf_abi *abi);
static uint64_t max_call_nr(const struct hcf_abi *abi);

#define IN_CALL 1u
#define IN_SUBOP 2u
static const struct hcf_spec_key call_keys[CK_COUNT] = {
	[CK_NAME] = { "name", S, true, 0 },
	[CK_NR] = { "nr", S, true, IN_CALL },
	[CK_INDEX] = { "index", S, true, IN_SUBOP },
	[CK_DOC] = { "doc", S, false, 0 },
	[CK_INPUT] = { "input", M, false, 0 },
	[CK_OUTPUT] = { "output", M, false, 0 },
	[CK_INOUT] = { "inout", M, false, 0 },
	[CK_RETURN] = { "return", S | M, false, 0 },
	[CK_CLOBBERS] = { "clobbers", Q, false, 0 },
	[CK_RETURNS] = { "returns", Q, false, 0 },
	[CK_ERRORS] = { "errors", Q, false, 0 },
	[CK_ERRCONV] = { "error_convention", S, false, 0 },
	[CK_EXC] = { "exceptions", Q, false, 0 },
	[CK_RFLAGS] = { "rflags", Q, false, 0 },
	[CK_DESTR] = { "destructive", S | M, false, 0 },
	[CK_SUBOPS] = { "subops", Q, false, IN_CALL },
	[CK_WATCHDOG] = { "watchdog_ms", S, false, 0 },
	[CK_BLOCKS] = { "blocks", S, false, 0 },
	[CK_UNDECL] = { "undeclared", M, false, IN_CALL },
	[CK_ENDS] = { "ends", S | Q | M, false, 0 },
};

static void parse_props(struct ld *L, const struct hcf_ynode **v, struct props *p)
{
	struct hcf_spec_ctx *c = L->c;
	unsigned r, w;

	memset(p, 0, sizeof(*p));
	if (v[CK_DOC] && v[CK_DOC]->len)
		p->doc = v[CK_DOC]->str;
	if (v[CK_RETURN] && ld_parse_regref(L, v[CK_RETURN], "return", true, &r, &w)) {
		p->has_ret = true;
		p->ret_reg = (uint8_t)r;
		p->ret_width = (uint8_t)w;
	}
	if (v[CK_CLOBBERS])
		p->has_clob = ld_parse_regmask(L, v[CK_CLOBBERS], "clobbers", &p->clob);
	if (v[CK_RETURNS]) {
		p->has_rets = true;
		p->rets_node = v[CK_RETURNS];
		ld_parse_vset(L, v[CK_RETURNS], "returns", true, &p->rets);
	}
	if (v[CK_ERRORS]) {
		p->has_errs = true;
		p->errs_node = v[CK_ERRORS];
		ld_parse_errors(L, v[CK_ERRORS], &p->errs, &p->nerrs);
	}
	if (v[CK_ERRCONV]) {
		p->conv_node = v[CK_ERRCONV];
		p->has_conv = ld_parse_errconv(L, v[CK_ERRCONV], &p->conv);
	}
	if (v[CK_EXC])
		p->has_exc = ld_parse_exceptions(L, v[CK_EXC], &p->exc);
	if (v[CK_RFLAGS])
		p->has_rflags = ld_parse_rflags(L, v[CK_RFLAGS], &p->rflags);
	uint64_t ms;
	if (v[CK_WATCHDOG] && hcf_y_uint(c, v[CK_WATCHDOG], HCF_OP_WATCHDOG_MAX_MS, "watchdog_ms", &ms)) {
		p->has_wd = true;
		p->wd_ms = (uint32_t)ms;
	}
	if (v[CK_BLOCKS]) {
		if (v[CK_BLOCKS]->len == 0 || (v[CK_BLOCKS]->plain && !strcmp(v[CK_BLOCKS]->str, "false")))
			hcf_spec_err(c, v[CK_BLOCKS], "blocks says until what the call may block the vCPU "
						       "(\"until an event is pending\"), not nothing");
		else
			p->blocks = v[CK_BLOCKS]->str;
	}
	/* read once the op's inputs are known: its conditions name them */
	p->ends_node = v[CK_ENDS];
	if (v[CK_DESTR]) {
		const struct hcf_ynode *d = v[CK_DESTR];
		p->has_destr = true;
		if (d->kind == HCF_Y_MAP) {
			/* read once the op's inputs are known: conditions name them */
			p->destr = true;
			p->destr_node = d;
		} else if (d->plain && (!strcmp(d->str, "true") || !strcmp(d->str, "false"))) {
			p->destr = !strcmp(d->str, "true");
		} else if (d->len == 0) {
			hcf_spec_err(c, d, "destructive must be true, false or a reason");
		} else {
			p->destr = true;
			p->why = d->str;
		}
	}
}

/* Builds one op's argument list and checks register use as it goes. */
struct opb {
	struct hcf_op *op;
	bool has_subop;
	int reg_arg[HCF_NGPR];   /* index in op->args of the argument on each register */
	const struct hcf_ynode *reg_node[HCF_NGPR];
	/* pointer_when and pointers nodes by argument index, resolved once
	 * every section is read (the inputs they name may come later) */
	const struct hcf_ynode *when_node[HCF_NGPR];
	const struct hcf_ynode *pointers_node[HCF_NGPR];
	const struct hcf_ynode *count_node[HCF_NGPR];  /* count: likewise */
};

static const char *dir_section(enum hcf_dir d)
{
	return d == HCF_DIR_IN ? "input" : d == HCF_DIR_OUT ? "output" : "inout";
}

enum { AK_REG, AK_WIDTH, AK_POINTER, AK_POINTER_WHEN, AK_POINTERS, AK_ELEMENTS, AK_HINTS,
       AK_NONDET, AK_DOC, AK_COUNT };
static const struct hcf_spec_key arg_keys[AK_COUNT] = {
	[AK_REG] = { "reg", S, true, 0 },
	[AK_WIDTH] = { "width", S, false, 0 },
	[AK_POINTER] = { "pointer", S, false, 0 },
	[AK_POINTER_WHEN] = { "pointer_when", M, false, 0 },
	[AK_POINTERS] = { "pointers", Q, false, 0 },
	[AK_ELEMENTS] = { "count", S, false, 0 },
	[AK_HINTS] = { "hints", Q, false, 0 },
	[AK_NONDET] = { "nondeterministic", S, false, 0 },
	[AK_DOC] = { "doc", S, false, 0 },
};

/* Register rules shared by every argument, whatever its section. */
static bool check_arg_reg(struct ld *L, struct opb *b, const struct hcf_ynode *at, unsigned reg,
			  enum hcf_dir dir, const char *name)
{
	struct hcf_spec_ctx *c = L->c;
	struct hcf_abi *abi = L->abi;
	const char *rn = hcf_reg_name(reg);

	if (b->reg_arg[reg] >= 0) {
		const struct hcf_arg *prev = &b->op->args[b->reg_arg[reg]];
		const struct hcf_ynode *pn = b->reg_node[reg];
		if (prev->dir == dir)
			hcf_spec_err(c, at, "register %s named twice in %s ('%.40s' at %u:%u and "
					    "'%.40s')", rn, dir_section(dir), prev->name, pn->line,
				     pn->col, name);
		else if ((prev->dir | dir) == HCF_DIR_INOUT && prev->dir != HCF_DIR_INOUT &&
			 dir != HCF_DIR_INOUT)
			hcf_spec_err(c, at, "%s is both input and output; declare it under inout "
					    "(other use '%.40s' at %u:%u)", rn, prev->name, pn->line,
				     pn->col);
		else
			hcf_spec_err(c, at, "register %s named twice (%s '%.40s' at %u:%u and %s "
					    "'%.40s')", rn, dir_section(prev->dir), prev->name,
				     pn->line, pn->col, dir_section(dir), name);
		return false;
	}
	if ((dir & HCF_DIR_IN) && reg == abi->nr_reg) {
		hcf_spec_err(c, at, "%s carries the call number; it cannot be an input", rn);
		return false;
	}
	if ((dir & HCF_DIR_IN) && reg == HCF_RDX && hcf_xport_uses_rdx(&abi->transport)) {
		hcf_spec_err(c, at, "rdx holds the %s transport's port or address; it cannot be an input",
			     hcf_xport_name(abi->transport.kind));
		return false;
	}
	for (size_t m = 0; (dir & HCF_DIR_IN) && m < abi->nmagic; m++)
		if (abi->magic[m].reg == reg) {
			hcf_spec_err(c, at, "%s holds the ABI's magic value; it cannot be an input", rn);
			return false;
		}
	if ((dir & HCF_DIR_IN) && b->has_subop && reg == abi->subop_reg) {
		hcf_spec_err(c, at, "%s carries the sub-operation index; it cannot be an input", rn);
		return false;
	}
	if ((dir & HCF_DIR_IN) && (any_transport_clobbers(abi) & HCF_REGBIT(reg))) {
		const struct hcf_transport *t = abi->transports;
		while (!(t->clobbers & HCF_REGBIT(reg)))
			t++;
		hcf_spec_err(c, at, "%s cannot carry an input: the %s transport overwrites it (%s)",
			     rn, hcf_xport_name(t->kind), hcf_xport_info(t->kind)->why);
		return false;
	}
	if (dir == HCF_DIR_IN && reg == b->op->ret_reg) {
		hcf_spec_err(c, at, "%s is both input and the return register; declare it under "
				    "inout", rn);
		return false;
	}
	return true;
}

/* One transport, with the registers it may change when the spec says so
 * (default: the instruction's architectural clobbers). */
static bool parse_transport(struct ld *L, const struct hcf_ynode *n, struct hcf_transport *t)
{
	if (!hcf_xport_parse(L->c, n, t))
		return false;
	const struct hcf_ynode *cl = n->kind == HCF_Y_MAP ? hcf_y_get(n, "clobbers") : NULL;
	return !cl || ld_parse_regmask(L, cl, "transport clobbers", &t->clobbers);
}

/*
 * transport: one transport, or a list of the ones calls can be made with
 * (the first is the default; a command picks another by its kind). A list
 * holds register-number transports only, one of each kind: they all place
 * the number in the same register, so that every op means the same on each.
 */
static bool parse_transports(struct ld *L, const struct hcf_ynode *n)
{
	struct hcf_abi *abi = L->abi;
	if (n->kind != HCF_Y_SEQ) {
		abi->ntransports = 1;
		if (!parse_transport(L, n, &abi->transports[0]))
			return false;
		abi->transport = abi->transports[0];
		return true;
	}
	size_t count = hcf_y_nitems(n);
	if (count == 0 || count > HCF_MAX_TRANSPORTS) {
		hcf_spec_err(L->c, n, "a transport list holds 1 to %d transports, not %zu",
			     HCF_MAX_TRANSPORTS, count);
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		const struct hcf_ynode *item = n->kids[i];
		struct hcf_transport *t = &abi->transports[i];
		if (!parse_transport(L, item, t))
			return false;
		if (t->kind == HCF_XPORT_PIO || t->kind == HCF_XPORT_MMIO) {
			hcf_spec_err(L->c, item, "a transport list cannot hold %s: it carries the call "
						 "number in its port or address, the others in a register",
				     hcf_xport_name(t->kind));
			return false;
		}
		for (size_t j = 0; j < i; j++)
			if (abi->transports[j].kind == t->kind) {
				hcf_spec_err(L->c, item, "transport %s listed twice",
					     hcf_xport_name(t->kind));
				return false;
			}
	}
	abi->ntransports = count;
	abi->transport = abi->transports[0];
	return true;
}

/* Registers any of the spec's transports may overwrite: none can carry an input. */
static hcf_regmask_t any_transport_clobbers(const struct hcf_abi *abi)
{
	hcf_regmask_t m = 0;
	for (size_t i = 0; i < abi->ntransports; i++)
		m |= abi->transports[i].clobbers;
	return m;
}

/* The largest call number every listed transport can carry. */
static uint64_t max_call_nr(const struct hcf_abi *abi)
{
	uint64_t max = UINT64_MAX;
	for (size_t i = 0; i < abi->ntransports; i++) {
		uint64_t m = hcf_xport_max_nr(&abi->transports[i], abi->nr_width);
		if (m < max)
			max = m;
	}
	return max;
}

/* magic: {eax: 0x564D5868}: registers every call loads with a fixed value. */
static void parse_magic(struct ld *L, const struct hcf_ynode *map)
{
	struct hcf_spec_ctx *c = L->c;
	struct hcf_abi *abi = L->abi;
	hcf_spec_check_dup_keys(c, map);
	for (size_t i = 0; i < hcf_y_npairs(map); i++) {
		const struct hcf_ynode *k = hcf_y_key(map, i), *v = hcf_y_val(map, i);
		unsigned reg, width;
		uint64_t val;
		if (!ld_parse_reg(L, k, "magic register", &reg, &width) ||
		    !hcf_y_uint(c, v, hcf_x86_width_mask(width), "magic value", &val))
			continue;
		if (reg == abi->nr_reg || reg == abi->subop_reg ||
		    (reg == HCF_RDX && hcf_xport_uses_rdx(&abi->transport))) {
			hcf_spec_err(c, k, "%s already carries the call number, the sub-operation or "
					   "the transport's port; it cannot hold a magic value",
				     hcf_reg_name(reg));
			continue;
		}
		if (abi->nmagic == sizeof(abi->magic) / sizeof(abi->magic[0])) {
			hcf_spec_err(c, k, "at most %zu magic registers",
				     sizeof(abi->magic) / sizeof(abi->magic[0]));
			return;
		}
		abi->magic[abi->nmagic++] = (struct hcf_magic){ (uint8_t)reg, (uint8_t)width, val };
	}
}

static void parse_args(struct ld *L, struct opb *b, const struct hcf_ynode *map, enum hcf_dir dir)
{
	struct hcf_spec_ctx *c = L->c;
	struct hcf_op *op = b->op;
	const char *section = dir_section(dir);

	if (map->kind != HCF_Y_MAP)
		return;
	hcf_spec_check_dup_keys(c, map);
	for (size_t i = 0; i < hcf_y_npairs(map); i++) {
		const struct hcf_ynode *k = hcf_y_key(map, i), *val = hcf_y_val(map, i);
		const struct hcf_ynode *v[AK_COUNT] = { 0 };
		unsigned reg, width;

		if (k->len == 0) {
			hcf_spec_err(c, k, "%s argument without a name", section);
			continue;
		}
		if (val->kind == HCF_Y_MAP) {
			if (!hcf_spec_map_keys(c, val, "argument", arg_keys, AK_COUNT, 0, v))
				continue;
			if (!ld_parse_reg(L, v[AK_REG], "reg", &reg, &width))
				continue;
			if (v[AK_WIDTH] && !ld_parse_width(L, v[AK_WIDTH], width, v[AK_REG]->str, &width))
				continue;
		} else if (val->kind == HCF_Y_SCALAR) {
			if (!ld_parse_reg(L, val, section, &reg, &width))
				continue;
		} else {
			hcf_spec_err(c, val, "argument '%.40s' must be a register name or a mapping "
					     "{reg: ...}, not %s", k->str, hcf_y_kind_name(val));
			continue;
		}
		for (size_t j = 0; j < op->nargs; j++)
			if (!strcmp(op->args[j].name, k->str)) {
				hcf_spec_err(c, k, "argument name '%.40s' already used at %u:%u",
					     k->str, op->args[j].pos.line, op->args[j].pos.col);
				goto next;
			}
		if (!check_arg_reg(L, b, k, reg, dir, k->str))
			continue;

		op->args = hcf_xreallocarray(op->args, op->nargs + 1, sizeof(*op->args));
		struct hcf_arg *a = &op->args[op->nargs];
		memset(a, 0, sizeof(*a));
		a->name = hcf_xstrdup(k->str);
		a->reg = (uint8_t)reg;
		a->width = (uint8_t)width;
		a->dir = dir;
		a->struct_idx = -1;
		a->count_arg = -1;
		a->pos = hcf_spec_pos(c, k);
		b->reg_arg[reg] = (int)op->nargs;
		b->reg_node[reg] = k;
		op->nargs++;
		if (dir & HCF_DIR_IN)
			op->in_mask |= HCF_REGBIT(reg);
		if (dir & HCF_DIR_OUT)
			op->out_mask |= HCF_REGBIT(reg);

		if (v[AK_POINTER]) {
			const struct hcf_struct *st = hcf_spec_struct(L->abi, v[AK_POINTER]->str);
			if (!st)
				hcf_spec_err(c, v[AK_POINTER], "unknown struct '%.60s'",
					     v[AK_POINTER]->str);
			else
				a->struct_idx = (int)(st - L->abi->structs);
		}
		if (v[AK_POINTER_WHEN]) {
			if (!v[AK_POINTER])
				hcf_spec_err(c, v[AK_POINTER_WHEN], "pointer_when of '%.40s' needs "
								    "pointer: (the struct it points to)",
					     k->str);
			else if (!(dir & HCF_DIR_IN))
				hcf_spec_err(c, v[AK_POINTER_WHEN], "pointer_when applies to inputs, "
								    "not to output '%.40s'", k->str);
			else
				b->when_node[op->nargs - 1] = v[AK_POINTER_WHEN];
		}
		if (v[AK_POINTERS]) {
			if (v[AK_POINTER] || v[AK_POINTER_WHEN])
				hcf_spec_err(c, v[AK_POINTERS], "'%.40s': pointers: lists every struct "
								"with its condition; it goes without "
								"pointer: and pointer_when:", k->str);
			else if (!(dir & HCF_DIR_IN))
				hcf_spec_err(c, v[AK_POINTERS], "pointers apply to inputs, not to "
								"output '%.40s'", k->str);
			else
				b->pointers_node[op->nargs - 1] = v[AK_POINTERS];
		}
		if (v[AK_ELEMENTS]) {
			if (!v[AK_POINTER] && !v[AK_POINTERS])
				hcf_spec_err(c, v[AK_ELEMENTS], "count of '%.40s' needs pointer: (the "
								"struct of its elements)", k->str);
			else if (!(dir & HCF_DIR_IN))
				hcf_spec_err(c, v[AK_ELEMENTS], "count applies to pointer inputs, not "
								"to output '%.40s'", k->str);
			else
				b->count_node[op->nargs - 1] = v[AK_ELEMENTS];
		}
		if (v[AK_HINTS]) {
			if (!(dir & HCF_DIR_IN))
				hcf_spec_err(c, v[AK_HINTS], "hints apply to inputs, not to output "
							     "'%.40s'", k->str);
			else
				ld_parse_vset(L, v[AK_HINTS], "hints", false, &a->hints);
			/* A hint the register cannot hold would be truncated
			 * silently when loaded: refuse it. Negative values are
			 * fine down to the signed minimum of the width. */
			for (size_t h = 0; width < 64 && h < a->hints.n; h++) {
				int64_t lo = a->hints.r[h].lo, hi = a->hints.r[h].hi;
				if (lo < -(INT64_C(1) << (width - 1)) || hi > (INT64_C(1) << width) - 1) {
					hcf_spec_err(c, v[AK_HINTS], "hints of '%.40s': %lld..%lld does "
								     "not fit %u bits", k->str,
						     (long long)lo, (long long)hi, width);
					break;
				}
			}
		}
		if (v[AK_NONDET]) {
			size_t d;
			for (d = 0; d < NELEM(nondet_names); d++)
				if (!strcmp(nondet_names[d].name, v[AK_NONDET]->str))
					break;
			if (!(dir & HCF_DIR_OUT))
				hcf_spec_err(c, v[AK_NONDET], "nondeterministic applies to outputs, "
							      "not to input '%.40s'", k->str);
			else if (d == NELEM(nondet_names))
				hcf_spec_err(c, v[AK_NONDET], "nondeterministic '%.40s': must be any "
							      "or monotonic", v[AK_NONDET]->str);
			else
				a->nondet = nondet_names[d].nd;
		}
	next:;
	}
}

static void add_pointer(struct hcf_arg *a, int struct_idx, const struct hcf_cond *when)
{
	a->pointers = hcf_xreallocarray(a->pointers, a->npointers + 1, sizeof(*a->pointers));
	a->pointers[a->npointers].struct_idx = struct_idx;
	a->pointers[a->npointers].when = *when;
	a->npointers++;
}

/* pointer_when: CONDITION (with pointer: STRUCT) and pointers: [{to: STRUCT,
 * when: CONDITION} ...]: conditions on the op's inputs (docs/spec-format.md,
 * Conditions), resolved once all of them are known. The argument itself is
 * then a plain number for the generators. */
static void resolve_pointers(struct ld *L, struct opb *b)
{
	static const struct hcf_spec_key item_keys[] = {
		{ "to", S, true, 0 },
		{ "when", M, true, 0 },
	};
	struct hcf_spec_ctx *c = L->c;
	struct hcf_op *op = b->op;
	for (size_t i = 0; i < op->nargs && i < HCF_NGPR; i++) {
		struct hcf_arg *a = &op->args[i];
		struct hcf_cond when;
		if (b->when_node[i] && a->struct_idx >= 0) {
			hcf_spec_cond(c, b->when_node[i], op, &when);
			add_pointer(a, a->struct_idx, &when);
			a->struct_idx = -1;
		}
		const struct hcf_ynode *seq = b->pointers_node[i];
		for (size_t k = 0; seq && k < hcf_y_nitems(seq); k++) {
			const struct hcf_ynode *v[2];
			if (!hcf_spec_map_keys(c, seq->kids[k], "pointer", item_keys, 2, 0, v))
				continue;
			const struct hcf_struct *st = hcf_spec_struct(L->abi, v[0]->str);
			if (!st) {
				hcf_spec_err(c, v[0], "unknown struct '%.60s'", v[0]->str);
				continue;
			}
			hcf_spec_cond(c, v[1], op, &when);
			add_pointer(a, (int)(st - L->abi->structs), &when);
		}
		if (seq && !hcf_y_nitems(seq))
			hcf_spec_err(c, seq, "'%.40s': an empty list of pointers", a->name);
	}
}

/* count: NAME on a pointer input: the input holding how many structs the
 * pointer names, one after the other. Resolved once every section is read
 * (the count may come after the pointer), after the pointers. */
static void resolve_counts(struct ld *L, struct opb *b)
{
	struct hcf_spec_ctx *c = L->c;
	struct hcf_op *op = b->op;
	for (size_t i = 0; i < op->nargs && i < HCF_NGPR; i++) {
		const struct hcf_ynode *n = b->count_node[i];
		if (!n)
			continue;
		const char *ptr = op->args[i].name;
		size_t j = 0;
		while (j < op->nargs && strcmp(op->args[j].name, n->str))
			j++;
		const struct hcf_arg *a = j < op->nargs ? &op->args[j] : NULL;
		if (!a)
			hcf_spec_err(c, n, "count of '%.40s': '%.40s' is not an argument of %s", ptr,
				     n->str, op->name);
		else if (!(a->dir & HCF_DIR_IN))
			hcf_spec_err(c, n, "count of '%.40s': '%.40s' is an output of %s; the number of "
					   "elements is an input", ptr, a->name, op->name);
		else if (a->struct_idx >= 0 || a->npointers)
			hcf_spec_err(c, n, "count of '%.40s': '%.40s' is a pointer, not a number of "
					   "elements", ptr, a->name);
		else
			op->args[i].count_arg = (int)j;
		const struct hcf_arg *p = &op->args[i];
		if (p->count_arg >= 0 && p->struct_idx >= 0)
			L->abi->structs[p->struct_idx].array_element = true;
		for (size_t k = 0; p->count_arg >= 0 && k < p->npointers; k++)
			L->abi->structs[p->pointers[k].struct_idx].array_element = true;
	}
}

/* How long past its waits_max_ms a call that waits as a field says may
 * take before it is a hang: the call's own work, and the round trip. */
#define WAITS_SLACK_MS 1000u

/* A call that waits as long as a field of its struct says gets that long
 * before it is a hang (the most generators ask for, plus slack). */
static void waits_watchdog(const struct hcf_abi *abi, struct hcf_op *op)
{
	for (size_t i = 0; i < op->nargs; i++) {
		int si = op->args[i].struct_idx;
		if (si < 0 || !(op->args[i].dir & HCF_DIR_IN))
			continue;
		const struct hcf_struct *st = &abi->structs[si];
		for (size_t j = 0; j < st->nfields; j++) {
			uint64_t ms = (uint64_t)st->fields[j].waits_max_ms + WAITS_SLACK_MS;
			if (st->fields[j].waits_unit_ns && ms > op->watchdog_ms)
				op->watchdog_ms = ms > HCF_OP_WATCHDOG_MAX_MS ? HCF_OP_WATCHDOG_MAX_MS
									     : (uint32_t)ms;
		}
	}
}

/* The status field of HCF_ERR_STATUS_FIELD: in a struct one of the op's
 * arguments points to. */
static bool find_status_field(struct hcf_abi *abi, struct hcf_op *op)
{
	for (size_t i = 0; i < op->nargs; i++) {
		int si = op->args[i].struct_idx;
		if (si < 0)
			continue;
		const struct hcf_struct *st = &abi->structs[si];
		for (size_t j = 0; j < st->nfields; j++)
			if (st->fields[j].is_status) {
				op->status_struct = si;
				op->status_field = (int)j;
				return true;
			}
	}
	return false;
}

#define PICK(field, has) (sub && sub->has ? sub->field : call->field)
#define HAS(has) ((sub && sub->has) || call->has)

/* One op from a call (sub == NULL) or from one sub-operation of it. */
static void build_op(struct ld *L, size_t call_idx, const char *subname, uint64_t subidx,
		     const struct props *call, const struct props *sub,
		     const struct hcf_ynode **args_v, const struct hcf_ynode *node)
{
	struct hcf_spec_ctx *c = L->c;
	struct hcf_abi *abi = L->abi;
	size_t oi = hcf_spec_new_op(c);
	struct hcf_op *op = &abi->ops[oi];
	const struct hcf_call *cl = &abi->calls[call_idx];
	struct opb b = { .op = op, .has_subop = subname != NULL };

	for (unsigned r = 0; r < HCF_NGPR; r++)
		b.reg_arg[r] = -1;
	op->call_name = hcf_xstrdup(cl->name);
	op->name = subname ? hcf_xasprintf("%s.%s", cl->name, subname) : hcf_xstrdup(cl->name);
	op->call_idx = (int)call_idx;
	op->nr = cl->nr;
	op->has_subop = subname != NULL;
	op->subop = subidx;
	op->pos = hcf_spec_pos(c, node);
	const char *doc = sub && sub->doc ? sub->doc : call->doc;
	op->doc = doc ? hcf_xstrdup(doc) : NULL;

	if (HAS(has_ret)) {
		op->ret_reg = PICK(ret_reg, has_ret);
		op->ret_width = PICK(ret_width, has_ret);
	} else {
		op->ret_reg = abi->ret_reg;
		op->ret_width = abi->ret_width;
	}
	op->err = HAS(has_conv) ? PICK(conv, has_conv) : abi->err;
	op->clobber_mask = (hcf_regmask_t)(PICK(clob, has_clob) | abi->clobbers);
	op->exceptions = PICK(exc, has_exc) | L->abi_exceptions;
	op->rflags_may_change = PICK(rflags, has_rflags);
	if (op->err == HCF_ERR_CARRY)
		op->rflags_may_change |= 1ull << CF_BIT;
	op->destructive = PICK(destr, has_destr);
	op->watchdog_ms = PICK(wd_ms, has_wd);
	const char *blocks = sub && sub->blocks ? sub->blocks : call->blocks;
	op->blocks = blocks ? hcf_xstrdup(blocks) : NULL;
	op->hands_over_rip = HCF_REG_NONE;
	const char *why = PICK(why, has_destr);
	op->destructive_why = why ? hcf_xstrdup(why) : NULL;
	const struct hcf_ynode *destr_node = PICK(destr_node, has_destr);

	const struct props *rp = sub && sub->has_rets ? sub : call;
	if (rp->has_rets) {
		op->returns.any = rp->rets.any;
		op->returns.n = rp->rets.n;
		if (rp->rets.n) {
			op->returns.r = hcf_xcalloc(rp->rets.n, sizeof(*op->returns.r));
			memcpy(op->returns.r, rp->rets.r, rp->rets.n * sizeof(*op->returns.r));
		}
	} else {
		op->returns.any = true; /* nothing declared: any value */
	}
	const struct props *ep = sub && sub->has_errs ? sub : call;
	if (ep->nerrs) {
		op->errors = hcf_xcalloc(ep->nerrs, sizeof(*op->errors));
		memcpy(op->errors, ep->errs, ep->nerrs * sizeof(*op->errors));
		op->nerrors = ep->nerrs;
	}

	op->in_mask = HCF_REGBIT(abi->nr_reg);
	/* the harness loads these too: a port or address in rdx, magic values */
	if (hcf_xport_uses_rdx(&abi->transport))
		op->in_mask |= HCF_REGBIT(HCF_RDX);
	for (size_t m = 0; m < abi->nmagic; m++)
		op->in_mask |= HCF_REGBIT(abi->magic[m].reg);
	if (op->has_subop)
		op->in_mask |= HCF_REGBIT(abi->subop_reg);
	if (op->ret_reg != HCF_REG_NONE)
		op->out_mask |= HCF_REGBIT(op->ret_reg);

	/* args_v: input, output, inout value nodes (NULL when absent). Inputs
	 * and inout before outputs so "declare it under inout" points at the
	 * output, the later of the two in most files. */
	if (args_v[0])
		parse_args(L, &b, args_v[0], HCF_DIR_IN);
	if (args_v[2])
		parse_args(L, &b, args_v[2], HCF_DIR_INOUT);
	if (args_v[1])
		parse_args(L, &b, args_v[1], HCF_DIR_OUT);
	resolve_pointers(L, &b);
	resolve_counts(L, &b);
	if (destr_node)
		hcf_spec_losses(c, destr_node, op);
	const struct hcf_ynode *ends_node = sub && sub->ends_node ? sub->ends_node : call->ends_node;
	if (ends_node)
		hcf_spec_ends(c, ends_node, op);
	waits_watchdog(abi, op);

	const struct hcf_ynode *conv_at = sub && sub->conv_node ? sub->conv_node
				       : call->conv_node ? call->conv_node : node;
	/* ABI-wide defaults were checked once; only overrides are checked here. */
	if ((op->err == HCF_ERR_NEG_ERRNO || op->err == HCF_ERR_CARRY) &&
	    op->ret_reg == HCF_REG_NONE && (HAS(has_conv) || HAS(has_ret)))
		hcf_spec_err(c, conv_at, "%s: error convention %s needs a return register", op->name,
			     hcf_err_conv_name(op->err));
	if (op->err == HCF_ERR_NONE && ep->has_errs && ep->nerrs)
		hcf_spec_err(c, ep->errs_node, "%s: errors listed but the error convention is none",
			     op->name);
	if (rp->has_rets && op->ret_reg == HCF_REG_NONE)
		hcf_spec_err(c, rp->rets_node, "%s: returns listed but the op has no return "
					       "register", op->name);
	if (op->err == HCF_ERR_STATUS_FIELD && !find_status_field(abi, op))
		hcf_spec_err(c, conv_at, "%s: error convention status_field needs an argument "
					 "pointing to a struct with a field marked status: true",
			     op->name);
}

static const struct hcf_ynode *key_of(const struct hcf_ynode *map, const struct hcf_ynode *val)
{
	for (size_t i = 0; i < hcf_y_npairs(map); i++)
		if (hcf_y_val(map, i) == val)
			return hcf_y_key(map, i);
	return val;
}

static void parse_subops(struct ld *L, size_t ci, const struct props *callp,
			 const struct hcf_ynode *seq)
{
	struct hcf_spec_ctx *c = L->c;
	struct hcf_abi *abi = L->abi;
	size_t n = hcf_y_nitems(seq);
	uint64_t *idx = hcf_xcalloc(n ? n : 1, sizeof(*idx));
	const char **names = hcf_xcalloc(n ? n : 1, sizeof(*names));
	struct hcf_srcpos *pos = hcf_xcalloc(n ? n : 1, sizeof(*pos));
	size_t ok = 0;
	uint64_t max = hcf_x86_width_mask(abi->subop_width);

	if (n == 0)
		hcf_spec_err(c, seq, "subops must be a non-empty list");
	abi->calls[ci].first_op = abi->nops;
	for (size_t i = 0; i < n; i++) {
		const struct hcf_ynode *it = seq->kids[i], *v[CK_COUNT];
		struct props sp;
		uint64_t index;
		hcf_spec_map_keys(c, it, "subop", call_keys, CK_COUNT, IN_SUBOP, v);
		if (!v[CK_NAME] || !v[CK_INDEX])
			continue;
		const char *name = hcf_y_str(c, v[CK_NAME], "subop name");
		if (!name)
			continue;
		if (!ld_is_opname(name)) {
			hcf_spec_err(c, v[CK_NAME], "subop name '%.40s': use letters, digits, '_' "
						    "and '-'", name);
			continue;
		}
		if (!hcf_y_uint(c, v[CK_INDEX], max, "subop index", &index))
			continue;
		parse_props(L, v, &sp);
		const struct hcf_ynode *args_v[3] = { v[CK_INPUT], v[CK_OUTPUT], v[CK_INOUT] };
		build_op(L, ci, name, index, callp, &sp, args_v, it);
		props_free(&sp);
		idx[ok] = index;
		names[ok] = name;
		pos[ok] = hcf_spec_pos(c, it);
		ok++;
	}
	abi->calls[ci].nops = abi->nops - abi->calls[ci].first_op;
	const char **owners = hcf_xcalloc(ok ? ok : 1, sizeof(*owners));
	for (size_t i = 0; i < ok; i++)
		owners[i] = names[i];
	hcf_spec_dup_numbers(c, ok, idx, owners, pos, "subop index");
	hcf_spec_dup_names(c, ok, names, pos, "subop name");
	free(owners);
	free(idx);
	free(names);
	free(pos);
}

/* undeclared: {returns: [...], exceptions: [...]}, the ABI's (map NULL: any
 * value, the ABI-wide exceptions) or a call's for its unknown sub-operations;
 * either is judged at the ABI's return register. */
static void parse_undeclared(struct ld *L, const struct hcf_ynode *map, struct hcf_undeclared *u)
{
	static const struct hcf_spec_key keys[] = {
		{ "returns", Q, false, 0 },
		{ "exceptions", Q, false, 0 },
		{ "ends", S | Q | M, false, 0 },
		{ "destructive", S, false, 0 },
	};
	const struct hcf_ynode *v[4];
	u->returns.any = true; /* unless it says otherwise */
	u->exceptions = L->abi_exceptions;
	if (!map || !hcf_spec_map_keys(L->c, map, "undeclared", keys, 4, 0, v))
		return;
	for (int k = 2; k <= 3; k++)
		if (v[k] && u != &L->abi->undeclared)
			hcf_spec_err(L->c, v[k], "%s: of undeclared numbers goes in the top level's "
						 "undeclared:, not a call's", keys[k].name);
	if (v[2] && u == &L->abi->undeclared)
		hcf_spec_undeclared_ends(L->c, v[2]);
	if (v[3] && u == &L->abi->undeclared) {
		/* true, false or a reason, as a call's destructive: */
		const struct hcf_ynode *d = v[3];
		if (d->len == 0)
			hcf_spec_err(L->c, d, "destructive must be true, false or a reason");
		L->abi->undeclared_destructive = !(d->plain && !strcmp(d->str, "false"));
	}
	if (v[0]) {
		if (L->abi->ret_reg == HCF_REG_NONE)
			hcf_spec_err(L->c, v[0], "undeclared returns listed but the ABI has no return "
						 "register");
		ld_parse_vset(L, v[0], "undeclared returns", true, &u->returns);
	}
	uint32_t exc;
	if (v[1] && ld_parse_exceptions(L, v[1], &exc))
		u->exceptions |= exc;
}

static void parse_call(struct ld *L, const struct hcf_ynode *it)
{
	struct hcf_spec_ctx *c = L->c;
	struct hcf_abi *abi = L->abi;
	const struct hcf_ynode *v[CK_COUNT];
	uint64_t nr;

	hcf_spec_map_keys(c, it, "call", call_keys, CK_COUNT, IN_CALL, v);
	if (!v[CK_NAME] || !v[CK_NR])
		return; /* reported; the rest of the call still gets checked otherwise */
	const char *name = hcf_y_str(c, v[CK_NAME], "call name");
	if (!name)
		return;
	if (!ld_is_opname(name)) {
		hcf_spec_err(c, v[CK_NAME], "call name '%.40s': use letters, digits, '_' and '-'",
			     name);
		return;
	}
	if (!hcf_y_uint(c, v[CK_NR], max_call_nr(abi), "call number", &nr))
		return;

	size_t ci = hcf_spec_new_call(c);
	struct hcf_call *cl = &abi->calls[ci];
	cl->name = hcf_xstrdup(name);
	cl->nr = nr;
	cl->pos = hcf_spec_pos(c, it);

	struct props cp;
	parse_props(L, v, &cp);
	if (v[CK_SUBOPS]) {
		cl->has_subops = true;
		const struct hcf_ynode *subkey = key_of(it, v[CK_SUBOPS]);
		if (abi->subop_reg == HCF_REG_NONE)
			hcf_spec_err(c, subkey, "call '%.40s' has subops but the ABI declares no "
						"subop register (add subop: {reg: ...})", name);
		else if (v[CK_INPUT] || v[CK_OUTPUT] || v[CK_INOUT])
			hcf_spec_err(c, key_of(it, v[CK_INPUT] ? v[CK_INPUT]
						 : v[CK_OUTPUT] ? v[CK_OUTPUT] : v[CK_INOUT]),
				     "call '%.40s' has subops: declare input/output/inout per subop",
				     name);
		else
			parse_subops(L, ci, &cp, v[CK_SUBOPS]);
		if (v[CK_UNDECL]) {
			cl->undeclared = hcf_xcalloc(1, sizeof(*cl->undeclared));
			parse_undeclared(L, v[CK_UNDECL], cl->undeclared);
		}
	} else {
		if (v[CK_UNDECL])
			hcf_spec_err(c, key_of(it, v[CK_UNDECL]), "call '%.40s' has no subops: a call's "
				     "undeclared: says what its unknown sub-operations do (unknown "
				     "numbers are the top level's)", name);
		const struct hcf_ynode *args_v[3] = { v[CK_INPUT], v[CK_OUTPUT], v[CK_INOUT] };
		abi->calls[ci].first_op = abi->nops;
		build_op(L, ci, NULL, 0, &cp, NULL, args_v, it);
		abi->calls[ci].nops = 1;
	}
	props_free(&cp);
}

void hcf_spec_check_call_dups(struct hcf_spec_ctx *c)
{
	struct hcf_abi *abi = c->abi;
	size_t n = abi->ncalls;
	if (n < 2)
		return;
	uint64_t *nrs = hcf_xcalloc(n, sizeof(*nrs));
	const char **names = hcf_xcalloc(n, sizeof(*names));
	struct hcf_srcpos *pos = hcf_xcalloc(n, sizeof(*pos));
	for (size_t i = 0; i < n; i++) {
		nrs[i] = abi->calls[i].nr;
		names[i] = abi->calls[i].name;
		pos[i] = abi->calls[i].pos;
	}
	hcf_spec_dup_numbers(c, n, nrs, names, pos, "call number");
	hcf_spec_dup_names(c, n, names, pos, "call name");
	free(nrs);
	free(names);
	free(pos);
}

enum { TK_VERSION, TK_ABI, TK_DESC, TK_MODEL, TK_TRANSPORT, TK_CALLNR, TK_SUBOP, TK_RETURN,
       TK_ERRCONV, TK_CLOBBERS, TK_EXC, TK_CONSTS, TK_UNDECL, TK_STRUCTS, TK_CALLS, TK_ANOMALIES,
       TK_MAGIC, TK_ZEXT, TK_REQUIRES, TK_COUNT };
static const struct hcf_spec_key top_keys[TK_COUNT] = {
	[TK_VERSION] = { "hcfuzz_spec", S, true, 0 },
	[TK_ABI] = { "abi", S, true, 0 },
	[TK_DESC] = { "description", S, false, 0 },
	[TK_MODEL] = { "model", S, false, 0 },
	[TK_TRANSPORT] = { "transport", S | M | Q, true, 0 },
	[TK_CALLNR] = { "call_number", M, false, 0 },
	[TK_SUBOP] = { "subop", S | M, false, 0 },
	[TK_RETURN] = { "return", S | M, false, 0 },
	[TK_ERRCONV] = { "error_convention", S, false, 0 },
	[TK_CLOBBERS] = { "clobbers", Q, false, 0 },
	[TK_EXC] = { "exceptions", Q, false, 0 },
	[TK_CONSTS] = { "constants", M, false, 0 },
	[TK_UNDECL] = { "undeclared", M, false, 0 },
	[TK_STRUCTS] = { "structs", M, false, 0 },
	[TK_CALLS] = { "calls", Q, true, 0 },
	[TK_ANOMALIES] = { "known_anomalies", Q, false, 0 },
	[TK_MAGIC] = { "magic", M, false, 0 },
	[TK_ZEXT] = { "outputs_zero_extend", S, false, 0 },
	[TK_REQUIRES] = { "requires", Q, false, 0 },
};

void hcf_spec_native_load(struct hcf_spec_ctx *c, const struct hcf_ynode *root)
{
	struct hcf_abi *abi = c->abi;
	struct ld L = { .c = c, .abi = abi };
	const struct hcf_ynode *v[TK_COUNT];
	uint64_t ver;
	unsigned r, w;

	abi->dialect = HCF_DIALECT_HCFUZZ;
	abi->pos = hcf_spec_pos(c, root);
	hcf_spec_map_keys(c, root, "the top level", top_keys, TK_COUNT, 0, v);
	/* The version decides how to read the rest: stop if it is not ours. */
	if (v[TK_VERSION]) {
		if (!hcf_y_uint(c, v[TK_VERSION], UINT32_MAX, "hcfuzz_spec", &ver))
			return;
		if (ver != 1) {
			hcf_spec_err(c, v[TK_VERSION], "hcfuzz_spec %llu: this build reads version 1",
				     (unsigned long long)ver);
			return;
		}
		abi->spec_version = 1;
	}
	if (v[TK_ABI]) {
		const char *name = hcf_y_str(c, v[TK_ABI], "abi");
		if (name)
			abi->name = hcf_xstrdup(name);
	}
	if (v[TK_DESC] && v[TK_DESC]->len)
		abi->description = hcf_xstrdup(v[TK_DESC]->str);
	if (v[TK_MODEL]) {
		const char *model = hcf_y_str(c, v[TK_MODEL], "model");
		if (model)
			abi->model = hcf_xstrdup(model);
	}
	if (v[TK_REQUIRES])
		hcf_spec_requires(c, v[TK_REQUIRES]);
	if (v[TK_CONSTS])
		ld_parse_constants(&L, v[TK_CONSTS]);
	if (v[TK_STRUCTS])
		ld_parse_structs(&L, v[TK_STRUCTS]);
	if (!v[TK_TRANSPORT] || !parse_transports(&L, v[TK_TRANSPORT]))
		return; /* number ranges and registers depend on it */
	ld_parse_call_number(&L, v[TK_CALLNR], root);
	if (v[TK_SUBOP] && ld_parse_regref(&L, v[TK_SUBOP], "subop", false, &r, &w)) {
		if (r == abi->nr_reg)
			hcf_spec_err(c, v[TK_SUBOP], "the subop register cannot be the call number "
						     "register %s", hcf_reg_name(r));
		else {
			abi->subop_reg = (uint8_t)r;
			abi->subop_width = (uint8_t)w;
		}
	}
	if (v[TK_RETURN] && ld_parse_regref(&L, v[TK_RETURN], "return", true, &r, &w)) {
		abi->ret_reg = (uint8_t)r;
		abi->ret_width = (uint8_t)w;
	}
	if (v[TK_ERRCONV])
		ld_parse_errconv(&L, v[TK_ERRCONV], &abi->err);
	if ((abi->err == HCF_ERR_NEG_ERRNO || abi->err == HCF_ERR_CARRY) &&
	    abi->ret_reg == HCF_REG_NONE)
		hcf_spec_err(c, v[TK_ERRCONV], "error convention %s needs a return register "
					       "(return: ...)", hcf_err_conv_name(abi->err));
	if (v[TK_CLOBBERS])
		ld_parse_regmask(&L, v[TK_CLOBBERS], "clobbers", &abi->clobbers);
	if (v[TK_MAGIC])
		parse_magic(&L, v[TK_MAGIC]);
	if (v[TK_ZEXT]) {
		const char *z = hcf_y_str(c, v[TK_ZEXT], "outputs_zero_extend");
		if (z && !strcmp(z, "true"))
			abi->outputs_zero_extend = true;
		else if (z && strcmp(z, "false"))
			hcf_spec_err(c, v[TK_ZEXT], "outputs_zero_extend '%.40s': must be true or false", z);
	}
	if (v[TK_EXC])
		ld_parse_exceptions(&L, v[TK_EXC], &L.abi_exceptions);

	parse_undeclared(&L, v[TK_UNDECL], &abi->undeclared);

	if (!v[TK_CALLS])
		return;
	if (hcf_y_nitems(v[TK_CALLS]) == 0) {
		hcf_spec_err(c, v[TK_CALLS], "calls must be a non-empty list");
		return;
	}
	for (size_t i = 0; i < hcf_y_nitems(v[TK_CALLS]); i++)
		parse_call(&L, v[TK_CALLS]->kids[i]);
	hcf_spec_check_call_dups(c);
	if (v[TK_ANOMALIES])
		hcf_spec_anomalies(c, v[TK_ANOMALIES]);
}

