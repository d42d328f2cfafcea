/*
 * prog_text_int.h: what the program text parser (prog_parse.c) and printer
 * (prog_print.c) share: limits, and the names of calls, flags, fields and
 * keys (prog_text_names.c). docs/program-format.md is the format.
 */
#ifndef HCF_PROG_TEXT_INT_H
#define HCF_PROG_TEXT_INT_H

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

#define MAX_TOKENS 512u    /* items on one line: a call needs ~20, a struct buffer its fields */
#define MAX_NAMES (2 * HCF_PROG_MAX_BUFS)
#define MAX_BUF_NAME 64u   /* characters in a buffer name */
#define FILL_MIN_RUN 8u    /* trailing bytes the printer writes as fill= rather than hex= */

/* Buffer directions by name. */
static const struct {
	const char *name;
	enum hcf_dir dir;
} dir_names[] = {
	{ "in", HCF_DIR_IN }, { "out", HCF_DIR_OUT }, { "inout", HCF_DIR_INOUT },
};
#define NDIRS (sizeof(dir_names) / sizeof(dir_names[0]))

/* Keywords of a call line besides register and argument names. */
enum call_kw { KW_NR, KW_RFLAGS, KW_VEC, KW_OVERRIDE, KW_NONE };

static const struct {
	const char *name;
	enum call_kw kw;
	bool takes_value;
} call_keywords[] = {
	{ "nr", KW_NR, true },
	{ "rflags", KW_RFLAGS, true },
	{ "vec", KW_VEC, false },
	{ "override", KW_OVERRIDE, false },
};
#define NCALLKW (sizeof(call_keywords) / sizeof(call_keywords[0]))

/* What a key=value of a call line names. */
enum key_kind { KEY_KEYWORD, KEY_REG, KEY_ARG, KEY_UNKNOWN };

/* The keys of a buf line. */
enum buf_key_kind { BK_SIZE, BK_STRUCT, BK_DIR, BK_FILL, BK_HEX, BK_COUNT };

int pt_buf_key(const char *s);
int pt_call_keyword(const char *s);
const struct hcf_call *pt_find_call(const struct hcf_abi *abi, uint64_t nr);
const struct hcf_field *pt_find_field(const struct hcf_struct *st, const char *name);
bool pt_is_clean_name(const char *s);
bool pt_is_ident(const char *s);
bool pt_is_ident_char(char c);
bool pt_is_ident_start(char c);
int pt_loadable_flag(const char *s);
unsigned pt_nr_width(const struct hcf_abi *abi);
enum key_kind pt_resolve_key(const struct hcf_op *op, const char *key, unsigned *reg, unsigned *width,
			     const struct hcf_arg **argp);
int pt_resolve_nr(const struct hcf_abi *abi, uint64_t n, bool has_s, uint64_t s);
unsigned pt_subop_width(const struct hcf_abi *abi);

#endif /* HCF_PROG_TEXT_INT_H */
