/* abi_build.c: builders of hand-made ABIs for unit tests (see abi_build.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi_build.h"
#include "spec/transport.h"


struct hcf_abi *abi_new(const char *name, enum hcf_xport_kind kind, unsigned nr_reg,
	       unsigned nr_width, uint64_t or_mask, unsigned subop_reg)
{
	struct hcf_abi *abi = calloc(1, sizeof(*abi));
	assert_non_null(abi);
	abi->name = strdup(name);
	abi->transport.kind = kind;
	abi->nr_reg = (uint8_t)nr_reg;
	abi->nr_width = (uint8_t)nr_width;
	abi->nr_or_mask = or_mask;
	abi->subop_reg = (uint8_t)subop_reg;
	abi->ret_reg = HCF_RAX;
	abi->ret_width = 64;
	return abi;
}

int abi_struct(struct hcf_abi *abi, const char *name, uint32_t size)
{
	abi->structs = realloc(abi->structs, (abi->nstructs + 1) * sizeof(*abi->structs));
	struct hcf_struct *s = &abi->structs[abi->nstructs];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	s->size = size;
	return (int)abi->nstructs++;
}

void abi_field(struct hcf_abi *abi, int si, const char *name, uint32_t off, uint32_t size,
	      enum hcf_dir dir, int points_to, int len_field)
{
	struct hcf_struct *s = &abi->structs[si];
	s->fields = realloc(s->fields, (s->nfields + 1) * sizeof(*s->fields));
	struct hcf_field *f = &s->fields[s->nfields++];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	f->offset = off;
	f->size = size;
	f->dir = dir;
	f->points_to = points_to;
	f->buffer_len_field = len_field;
}

int abi_op(struct hcf_abi *abi, const char *call, const char *sub, uint64_t nr,
	  uint64_t subop)
{
	/* a sub-operation joins the last call when it has the same name */
	struct hcf_call *c = abi->ncalls ? &abi->calls[abi->ncalls - 1] : NULL;
	if (!c || strcmp(c->name, call)) {
		abi->calls = realloc(abi->calls, (abi->ncalls + 1) * sizeof(*abi->calls));
		c = &abi->calls[abi->ncalls++];
		memset(c, 0, sizeof(*c));
		c->name = strdup(call);
		c->nr = nr;
		c->first_op = abi->nops;
		c->has_subops = sub != NULL;
	}
	c->nops++;
	abi->ops = realloc(abi->ops, (abi->nops + 1) * sizeof(*abi->ops));
	struct hcf_op *op = &abi->ops[abi->nops];
	memset(op, 0, sizeof(*op));
	if (sub) {
		char buf[128];
		snprintf(buf, sizeof(buf), "%s.%s", call, sub);
		op->name = strdup(buf);
	} else {
		op->name = strdup(call);
	}
	op->call_name = strdup(call);
	op->call_idx = (int)(c - abi->calls);
	op->nr = nr;
	op->has_subop = sub != NULL;
	op->subop = subop;
	op->ret_reg = HCF_RAX;
	op->ret_width = 64;
	op->status_struct = op->status_field = -1;
	return (int)abi->nops++;
}

void abi_arg(struct hcf_abi *abi, int opi, const char *name, unsigned reg, unsigned width,
	    enum hcf_dir dir, int struct_idx)
{
	struct hcf_op *op = &abi->ops[opi];
	op->args = realloc(op->args, (op->nargs + 1) * sizeof(*op->args));
	struct hcf_arg *a = &op->args[op->nargs++];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name);
	a->reg = (uint8_t)reg;
	a->width = (uint8_t)width;
	a->dir = dir;
	a->struct_idx = struct_idx;
	a->count_arg = -1;
	if (dir & HCF_DIR_IN)
		op->in_mask |= HCF_REGBIT(reg);
	if (dir & HCF_DIR_OUT)
		op->out_mask |= HCF_REGBIT(reg);
}

void abi_vset_add(struct hcf_vset *s, int64_t lo, int64_t hi)
{
	s->r = realloc(s->r, (s->n + 1) * sizeof(*s->r));
	assert_non_null(s->r);
	s->r[s->n++] = (struct hcf_vrange){ lo, hi };
}

void abi_hint(struct hcf_abi *abi, int opi, size_t argi, int64_t lo, int64_t hi)
{
	abi_vset_add(&abi->ops[opi].args[argi].hints, lo, hi);
}

void abi_const(struct hcf_abi *abi, const char *name, int64_t v)
{
	abi->consts = realloc(abi->consts, (abi->nconsts + 1) * sizeof(*abi->consts));
	assert_non_null(abi->consts);
	abi->consts[abi->nconsts].name = strdup(name);
	assert_non_null(abi->consts[abi->nconsts].name);
	abi->consts[abi->nconsts++].value = v;
}
