/*
 * spec_model.c: the parts of the ABI model that do not depend on YAML:
 * register names, value sets, lookups and freeing (transports: transport.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spec/spec.h"
#include "spec/spec_parse.h"
#include "util/x86.h"

/* Register aliases: name, register, width in bits. */
static const struct {
	const char *name;
	unsigned reg, width;
} reg_names[] = {
	{ "rax", HCF_RAX, 64 }, { "eax", HCF_RAX, 32 }, { "ax", HCF_RAX, 16 }, { "al", HCF_RAX, 8 },
	{ "rcx", HCF_RCX, 64 }, { "ecx", HCF_RCX, 32 }, { "cx", HCF_RCX, 16 }, { "cl", HCF_RCX, 8 },
	{ "rdx", HCF_RDX, 64 }, { "edx", HCF_RDX, 32 }, { "dx", HCF_RDX, 16 }, { "dl", HCF_RDX, 8 },
	{ "rbx", HCF_RBX, 64 }, { "ebx", HCF_RBX, 32 }, { "bx", HCF_RBX, 16 }, { "bl", HCF_RBX, 8 },
	{ "rsp", HCF_RSP, 64 }, { "esp", HCF_RSP, 32 }, { "sp", HCF_RSP, 16 }, { "spl", HCF_RSP, 8 },
	{ "rbp", HCF_RBP, 64 }, { "ebp", HCF_RBP, 32 }, { "bp", HCF_RBP, 16 }, { "bpl", HCF_RBP, 8 },
	{ "rsi", HCF_RSI, 64 }, { "esi", HCF_RSI, 32 }, { "si", HCF_RSI, 16 }, { "sil", HCF_RSI, 8 },
	{ "rdi", HCF_RDI, 64 }, { "edi", HCF_RDI, 32 }, { "di", HCF_RDI, 16 }, { "dil", HCF_RDI, 8 },
	{ "r8", HCF_R8, 64 },   { "r8d", HCF_R8, 32 },  { "r8w", HCF_R8, 16 },  { "r8b", HCF_R8, 8 },
	{ "r9", HCF_R9, 64 },   { "r9d", HCF_R9, 32 },  { "r9w", HCF_R9, 16 },  { "r9b", HCF_R9, 8 },
	{ "r10", HCF_R10, 64 }, { "r10d", HCF_R10, 32 }, { "r10w", HCF_R10, 16 }, { "r10b", HCF_R10, 8 },
	{ "r11", HCF_R11, 64 }, { "r11d", HCF_R11, 32 }, { "r11w", HCF_R11, 16 }, { "r11b", HCF_R11, 8 },
	{ "r12", HCF_R12, 64 }, { "r12d", HCF_R12, 32 }, { "r12w", HCF_R12, 16 }, { "r12b", HCF_R12, 8 },
	{ "r13", HCF_R13, 64 }, { "r13d", HCF_R13, 32 }, { "r13w", HCF_R13, 16 }, { "r13b", HCF_R13, 8 },
	{ "r14", HCF_R14, 64 }, { "r14d", HCF_R14, 32 }, { "r14w", HCF_R14, 16 }, { "r14b", HCF_R14, 8 },
	{ "r15", HCF_R15, 64 }, { "r15d", HCF_R15, 32 }, { "r15w", HCF_R15, 16 }, { "r15b", HCF_R15, 8 },
};

unsigned hcf_reg_parse(const char *name, unsigned *width_bits)
{
	/* Every name has 2 to 4 letters and most keys asked about are not
	 * registers: the length and the first letter rule most names out before
	 * a comparison (the text parser asks this for every key it reads). */
	size_t n = strnlen(name, 5);
	if (n < 2 || n > 4)
		return HCF_REG_NONE;
	char first = (char)tolower((unsigned char)name[0]);
	for (size_t i = 0; i < sizeof(reg_names) / sizeof(reg_names[0]); i++)
		if (reg_names[i].name[0] == first && !strcasecmp(reg_names[i].name, name)) {
			if (width_bits)
				*width_bits = reg_names[i].width;
			return reg_names[i].reg;
		}
	return HCF_REG_NONE;
}

const char *hcf_reg_name(unsigned reg)
{
	return hcf_x86_gpr_name(reg);
}

const char *hcf_err_conv_name(enum hcf_err_conv c)
{
	static const char *const names[HCF_ERR_COUNT] = {
		"none", "negative_errno", "carry", "status_field",
	};
	return (unsigned)c < HCF_ERR_COUNT ? names[c] : "?";
}

bool hcf_vset_contains(const struct hcf_vset *s, int64_t v)
{
	if (s->any)
		return true;
	for (size_t i = 0; i < s->n; i++)
		if (v >= s->r[i].lo && v <= s->r[i].hi)
			return true;
	return false;
}

const struct hcf_op *hcf_spec_find_op(const struct hcf_abi *abi, uint64_t nr, uint64_t subop)
{
	for (size_t i = 0; i < abi->ncalls; i++) {
		const struct hcf_call *c = &abi->calls[i];
		if (c->nr != nr)
			continue;
		for (size_t j = 0; j < c->nops; j++) {
			const struct hcf_op *op = &abi->ops[c->first_op + j];
			if (!op->has_subop || op->subop == subop)
				return op;
		}
		return NULL;
	}
	return NULL;
}

const struct hcf_undeclared *hcf_spec_undeclared(const struct hcf_abi *abi, uint64_t nr)
{
	for (size_t i = 0; i < abi->ncalls; i++)
		if (abi->calls[i].nr == nr)
			return abi->calls[i].undeclared ? abi->calls[i].undeclared : &abi->undeclared;
	return &abi->undeclared;
}

uint64_t hcf_arg_elements(const struct hcf_op *op, const struct hcf_arg *a,
			  const uint64_t regs[HCF_NGPR])
{
	if (a->count_arg < 0 || (size_t)a->count_arg >= op->nargs)
		return 1;
	const struct hcf_arg *n = &op->args[a->count_arg];
	return n->reg < HCF_NGPR ? regs[n->reg] & hcf_x86_width_mask(n->width) : 1;
}

const struct hcf_op *hcf_spec_op_by_name(const struct hcf_abi *abi, const char *name)
{
	for (size_t i = 0; i < abi->nops; i++)
		if (!strcmp(abi->ops[i].name, name))
			return &abi->ops[i];
	return NULL;
}

const struct hcf_const *hcf_spec_const(const struct hcf_abi *abi, const char *name)
{
	for (size_t i = 0; i < abi->nconsts; i++)
		if (!strcmp(abi->consts[i].name, name))
			return &abi->consts[i];
	return NULL;
}

const struct hcf_struct *hcf_spec_struct(const struct hcf_abi *abi, const char *name)
{
	for (size_t i = 0; i < abi->nstructs; i++)
		if (!strcmp(abi->structs[i].name, name))
			return &abi->structs[i];
	return NULL;
}

const char *hcf_spec_value_name(const struct hcf_abi *abi, const struct hcf_op *op, int64_t v,
				char *buf, size_t len)
{
	enum hcf_err_conv err = op ? op->err : abi->err;
	for (size_t i = 0; i < abi->nconsts; i++) {
		const struct hcf_const *k = &abi->consts[i];
		if (err == HCF_ERR_NEG_ERRNO && k->value > 0 && v == -k->value) {
			snprintf(buf, len, "-%s", k->name);
			return buf;
		}
	}
	for (size_t i = 0; i < abi->nconsts; i++) {
		const struct hcf_const *k = &abi->consts[i];
		if (v == k->value && v != 0) {
			snprintf(buf, len, "%s", k->name);
			return buf;
		}
	}
	return NULL;
}

hcf_regmask_t hcf_op_may_change(const struct hcf_abi *abi, const struct hcf_op *op)
{
	const struct hcf_transport *t = &abi->transport;
	return (hcf_regmask_t)(op->out_mask | op->clobber_mask | abi->clobbers | t->clobbers |
			       t->outputs);
}

hcf_regmask_t hcf_abi_undeclared_may_change(const struct hcf_abi *abi)
{
	const struct hcf_transport *t = &abi->transport;
	hcf_regmask_t m = (hcf_regmask_t)(abi->clobbers | t->clobbers | t->outputs);
	if (abi->ret_reg != HCF_REG_NONE)
		m |= HCF_REGBIT(abi->ret_reg);
	return m;
}

static void free_vset(struct hcf_vset *s)
{
	free(s->r);
	s->r = NULL;
	s->n = 0;
}

bool hcf_pred_holds(const struct hcf_pred *p, uint64_t value)
{
	uint64_t v = value & hcf_x86_width_mask(p->width) & p->mask;
	return hcf_vset_contains(&p->set, (int64_t)v) != p->negate;
}

/* The bytes of field f of a struct at base, as the reader knows them. */
static bool read_field(const struct hcf_mem_reader *mr, uint64_t base, const struct hcf_field *f,
		       uint64_t *v)
{
	uint64_t at = base + f->offset;
	if (!mr || !mr->read || at < base || f->size == 0 || f->size > 8)
		return false;
	return mr->read(mr->ctx, at, f->size, v);
}

/* Both must hold: no beats unknown, unknown beats yes. */
static enum hcf_tri tri_and(enum hcf_tri a, enum hcf_tri b)
{
	if (a == HCF_TRI_NO || b == HCF_TRI_NO)
		return HCF_TRI_NO;
	return a == HCF_TRI_UNKNOWN || b == HCF_TRI_UNKNOWN ? HCF_TRI_UNKNOWN : HCF_TRI_YES;
}

enum hcf_tri hcf_cond_eval(const struct hcf_cond *c, const uint64_t regs[HCF_NGPR],
			   const struct hcf_mem_reader *mr)
{
	enum hcf_tri r = HCF_TRI_YES;
	for (size_t i = 0; c && i < c->n && r != HCF_TRI_NO; i++) {
		const struct hcf_pred *p = &c->p[i];
		if (p->reg >= HCF_NGPR)
			return HCF_TRI_NO;
		if (!p->in_field) {
			r = tri_and(r, hcf_pred_holds(p, regs[p->reg]) ? HCF_TRI_YES : HCF_TRI_NO);
			continue;
		}
		struct hcf_field f = { .offset = p->foffset, .size = p->width / 8u };
		uint64_t v;
		if (!read_field(mr, regs[p->reg] & hcf_x86_width_mask(p->ptr_width), &f, &v))
			r = tri_and(r, HCF_TRI_UNKNOWN);
		else
			r = tri_and(r, hcf_pred_holds(p, v) ? HCF_TRI_YES : HCF_TRI_NO);
	}
	return r;
}

bool hcf_cond_holds(const struct hcf_cond *c, const uint64_t regs[HCF_NGPR])
{
	return hcf_cond_eval(c, regs, NULL) != HCF_TRI_NO;
}

/* [lo, lo + size) reaches past guest memory: its start is not in it (an
 * empty range at its end included, as a pointer past it), or its end is
 * beyond the last byte. */
static bool past_memory(uint64_t lo, uint64_t size)
{
	return lo >= HCF_GUEST_MEM_SIZE || size > HCF_GUEST_MEM_SIZE - lo;
}

/* The range an outside: item names, as far as the reader knows it. */
static enum hcf_tri range_outside(const struct hcf_loss *l, const uint64_t regs[HCF_NGPR],
				  const struct hcf_mem_reader *mr)
{
	if (l->oreg >= HCF_NGPR)
		return HCF_TRI_NO;
	uint64_t base = regs[l->oreg] & hcf_x86_width_mask(l->owidth), lo = base, size = l->size;
	struct hcf_field start = { .offset = l->start_off, .size = l->start_size };
	struct hcf_field len = { .offset = l->len_off, .size = l->len_size };
	if ((l->from_field && !read_field(mr, base, &start, &lo)) ||
	    (l->len_field && !read_field(mr, base, &len, &size)))
		return HCF_TRI_UNKNOWN;
	return past_memory(lo, size) ? HCF_TRI_YES : HCF_TRI_NO;
}

enum hcf_tri hcf_loss_eval(const struct hcf_loss *l, const uint64_t regs[HCF_NGPR],
			   const struct hcf_mem_reader *mr)
{
	enum hcf_tri r = hcf_cond_eval(&l->when, regs, mr);
	if (l->outside && r != HCF_TRI_NO)
		r = tri_and(r, range_outside(l, regs, mr));
	return r;
}

const struct hcf_loss *hcf_call_losses(const struct hcf_abi *abi, const struct hcf_op *op,
				       size_t *n)
{
	*n = op ? op->nlosses : abi ? abi->undeclared_nlosses : 0;
	return op ? op->losses : abi ? abi->undeclared_losses : NULL;
}

bool hcf_op_may_end(const struct hcf_op *op, unsigned kind, const uint64_t in[HCF_NGPR])
{
	if (!op || kind >= HCF_LIVE_COUNT || !hcf_liveness_declarable((enum hcf_liveness)kind))
		return false;
	if (hcf_op_hands_over(op, in))
		return true;
	for (size_t i = 0; i < op->nlosses; i++)
		if ((op->losses[i].ends & (1u << kind)) &&
		    hcf_loss_eval(&op->losses[i], in, NULL) != HCF_TRI_NO)
			return true;
	return false;
}

bool hcf_op_hands_over(const struct hcf_op *op, const uint64_t in[HCF_NGPR])
{
	return op && op->hands_over && hcf_cond_holds(&op->hands_over_when, in);
}

const char *const hcf_anomaly_check_names[] = {
	"liveness", "exception", "clobber", "retval", "model", "memory", NULL,
};

uint32_t hcf_anomaly_check_bit(const char *oracle)
{
	for (unsigned i = 0; oracle && hcf_anomaly_check_names[i]; i++)
		if (!strcmp(hcf_anomaly_check_names[i], oracle))
			return 1u << i;
	return 0;
}

static void free_cond(struct hcf_cond *c)
{
	for (size_t i = 0; i < c->n; i++)
		free_vset(&c->p[i].set);
	free(c->p);
	c->p = NULL;
	c->n = 0;
}

static void free_losses(struct hcf_loss *l, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		free_cond(&l[j].when);
		free(l[j].why);
		free(l[j].what);
	}
	free(l);
}

void hcf_spec_free(struct hcf_abi *abi)
{
	if (!abi)
		return;
	for (size_t i = 0; i < abi->nops; i++) {
		struct hcf_op *op = &abi->ops[i];
		for (size_t j = 0; j < op->nargs; j++) {
			free(op->args[j].name);
			free_vset(&op->args[j].hints);
			for (size_t k = 0; k < op->args[j].npointers; k++)
				free_cond(&op->args[j].pointers[k].when);
			free(op->args[j].pointers);
		}
		free(op->args);
		free(op->name);
		free(op->call_name);
		free(op->doc);
		free_vset(&op->returns);
		free(op->errors);
		free(op->destructive_why);
		free(op->blocks);
		free_losses(op->losses, op->nlosses);
		free(op->hands_over);
		free_cond(&op->hands_over_when);
	}
	free(abi->ops);
	for (size_t i = 0; i < abi->ncalls; i++) {
		free(abi->calls[i].name);
		if (abi->calls[i].undeclared)
			free_vset(&abi->calls[i].undeclared->returns);
		free(abi->calls[i].undeclared);
	}
	free(abi->calls);
	for (size_t i = 0; i < abi->nstructs; i++) {
		for (size_t j = 0; j < abi->structs[i].nfields; j++) {
			free(abi->structs[i].fields[j].name);
			free_vset(&abi->structs[i].fields[j].hints);
		}
		free(abi->structs[i].fields);
		free(abi->structs[i].name);
	}
	free(abi->structs);
	for (size_t i = 0; i < abi->nconsts; i++)
		free(abi->consts[i].name);
	free(abi->consts);
	hcf_spec_requires_free(abi);
	for (size_t i = 0; i < abi->nanomalies; i++) {
		struct hcf_anomaly *a = &abi->anomalies[i];
		free(a->id);
		free(a->summary);
		free(a->evidence);
		free(a->reproduce);
		free(a->ops);
		for (size_t t = 0; t < a->ntargets; t++)
			free(a->targets[t]);
		free(a->targets);
		free_cond(&a->when);
		free_cond(&a->after_when);
		free_vset(&a->values);
		free(a->field);
		free_vset(&a->rip.set);
	}
	free(abi->anomalies);
	free_losses(abi->undeclared_losses, abi->undeclared_nlosses);
	free_vset(&abi->undeclared.returns);
	free(abi->name);
	free(abi->description);
	free(abi->path);
	free(abi->model);
	for (size_t i = 0; i < abi->nfiles; i++)
		free(abi->files[i]);
	free(abi->files);
	free(abi);
}

bool hcf_anomaly_on_target(const struct hcf_anomaly *a, const char *target)
{
	if (!a->ntargets || !target)
		return true;
	for (size_t i = 0; i < a->ntargets; i++)
		if (!strcmp(a->targets[i], target))
			return true;
	return false;
}
