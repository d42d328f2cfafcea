/* prog_text_names.c: the names the program text format reads and writes: calls, flags, fields, keys. */
#include "prog/prog_text_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prog/prog.h"
#include "spec/transport.h"
#include "util/fileio.h"
#include "util/x86.h"
#include "util/xalloc.h"

/* The RFLAGS bit a program may set by name (CF PF AF ZF SF OF: the bits the
 * agent loads), any case; -1 for another word. */
int pt_loadable_flag(const char *s)
{
	for (unsigned b = 0; b < 64; b++) {
		const char *name = hcf_x86_rflags_name(b);
		if ((HCF_RFLAGS_LOADABLE >> b & 1) && name && !strcasecmp(name, s))
			return (int)b;
	}
	return -1;
}

unsigned pt_nr_width(const struct hcf_abi *abi)
{
	return abi->nr_width && abi->nr_width < 64 ? abi->nr_width : 64;
}

unsigned pt_subop_width(const struct hcf_abi *abi)
{
	return abi->subop_width && abi->subop_width < 64 ? abi->subop_width : 64;
}

bool pt_is_ident_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool pt_is_ident_char(char c)
{
	return pt_is_ident_start(c) || (c >= '0' && c <= '9');
}

/* A buffer name: C identifier. */
bool pt_is_ident(const char *s)
{
	if (!pt_is_ident_start(*s))
		return false;
	for (s++; *s; s++)
		if (!pt_is_ident_char(*s))
			return false;
	return true;
}

/* A spec name the printer may write as a bare word or key: letters, digits,
 * '_', '.', '-', not starting with a digit or '-' (those start values). */
bool pt_is_clean_name(const char *s)
{
	if (!s || !pt_is_ident_start(*s))
		return false;
	for (; *s; s++)
		if (!pt_is_ident_char(*s) && *s != '.' && *s != '-')
			return false;
	return true;
}

/* The call declared with number nr, or NULL. */
const struct hcf_call *pt_find_call(const struct hcf_abi *abi, uint64_t nr)
{
	for (size_t i = 0; i < abi->ncalls; i++)
		if (abi->calls[i].nr == nr)
			return &abi->calls[i];
	return NULL;
}

/*
 * How the parser resolves nr=N (has_s false) or nr=N.S: the op, -1 for an
 * undeclared number, or -2 when the spelling is an error (a call without
 * sub-operations given one, a call with sub-operations given none).
 */
int pt_resolve_nr(const struct hcf_abi *abi, uint64_t n, bool has_s, uint64_t s)
{
	const struct hcf_call *call = pt_find_call(abi, n);
	if (!call)
		return -1;
	if (call->has_subops != has_s || call->nops == 0)
		return -2;
	for (size_t j = 0; j < call->nops; j++) {
		size_t oi = call->first_op + j;
		if (oi >= abi->nops)
			break;
		if (!has_s || (abi->ops[oi].has_subop && abi->ops[oi].subop == s))
			return (int)oi;
	}
	return -1;
}

/* Keys of a call line that are not registers or arguments. */

int pt_call_keyword(const char *s)
{
	for (size_t i = 0; i < NCALLKW; i++)
		if (!strcmp(call_keywords[i].name, s))
			return (int)i;
	return -1;
}

/* What a key=value on a call line names. Keywords win over registers,
 * registers over argument names: the printer checks that an argument name
 * comes back to the same register before it writes it. */

enum key_kind pt_resolve_key(const struct hcf_op *op, const char *key, unsigned *reg,
				 unsigned *width, const struct hcf_arg **argp)
{
	if (pt_call_keyword(key) >= 0)
		return KEY_KEYWORD;
	unsigned w = 64;
	unsigned r = hcf_reg_parse(key, &w);
	if (r < HCF_NGPR) {
		*reg = r;
		*width = w;
		return KEY_REG;
	}
	if (op)
		for (size_t i = 0; i < op->nargs; i++)
			if (op->args[i].name && !strcmp(op->args[i].name, key) &&
			    op->args[i].reg < HCF_NGPR) {
				*reg = op->args[i].reg;
				*width = op->args[i].width && op->args[i].width < 64
						 ? op->args[i].width : 64;
				if (argp)
					*argp = &op->args[i];
				return KEY_ARG;
			}
	return KEY_UNKNOWN;
}

const struct hcf_field *pt_find_field(const struct hcf_struct *st, const char *name)
{
	for (size_t i = 0; st && i < st->nfields; i++)
		if (st->fields[i].name && !strcmp(st->fields[i].name, name))
			return &st->fields[i];
	return NULL;
}

/* Keys of a buf line; the phase orders them: shape first, then bytes, then
 * fields and pointers in the order written. */
static const char *const buf_key_names[BK_COUNT] = { "size", "struct", "dir", "fill", "hex" };

int pt_buf_key(const char *s)
{
	for (int i = 0; i < BK_COUNT; i++)
		if (!strcmp(buf_key_names[i], s))
			return i;
	return -1;
}

