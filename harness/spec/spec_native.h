/*
 * spec_native.h: the native spec language's loader state, shared by its
 * parts: values and ABI-wide sections (spec_values.c), calls and
 * sub-operations (spec_ops.c), entry points (spec_load.c).
 */
#ifndef HCF_SPEC_NATIVE_H
#define HCF_SPEC_NATIVE_H

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

#define S HCF_YT_SCALAR
#define Q HCF_YT_SEQ
#define M HCF_YT_MAP

/* Spec files are small; the cap keeps a wrong path (a disk image) from
 * being slurped whole. */
#define HCF_SPEC_MAX_FILE (16u << 20)

/* ---- small tables ------------------------------------------------------ */

static const struct {
	const char *name;
	enum hcf_dir dir;
} dir_names[] = {
	{ "in", HCF_DIR_IN }, { "out", HCF_DIR_OUT }, { "inout", HCF_DIR_INOUT },
};

static const struct {
	const char *name;
	enum hcf_nondet nd;
} nondet_names[] = {
	{ "any", HCF_NONDET_ANY }, { "monotonic", HCF_NONDET_MONOTONIC },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define CF_BIT 0

/* ---- loader state ------------------------------------------------------ */

struct ld {
	struct hcf_spec_ctx *c;
	struct hcf_abi *abi;
	uint32_t abi_exceptions;   /* ABI-wide allowed exceptions, OR-ed into every op */
};

/* Per call or sub-operation: the keys that a sub-operation inherits from its
 * call unless it sets them itself. has_* says the key was given. */
struct props {
	bool has_clob, has_rets, has_errs, has_conv, has_exc, has_rflags, has_destr, has_ret, has_wd;
	uint32_t wd_ms;
	const char *blocks;          /* why the call may block the vCPU, or NULL */
	hcf_regmask_t clob;
	struct hcf_vset rets;
	int64_t *errs;
	size_t nerrs;
	enum hcf_err_conv conv;
	uint32_t exc;
	uint64_t rflags;
	bool destr;
	const char *why;
	uint8_t ret_reg, ret_width;
	const char *doc;
	const struct hcf_ynode *conv_node, *rets_node, *errs_node;
	const struct hcf_ynode *destr_node; /* destructive's mapping form (the loss model) */
	const struct hcf_ynode *ends_node;  /* ends: of a call that is not destructive */
};

static inline void props_free(struct props *p)
{
	free(p->rets.r);
	free(p->errs);
	memset(p, 0, sizeof(*p));
}

/* Shared between the parts (each is defined with its comment). */
bool ld_is_opname(const char *s);
void ld_parse_call_number(struct ld *L, const struct hcf_ynode *n, const struct hcf_ynode *top);
void ld_parse_constants(struct ld *L, const struct hcf_ynode *map);
bool ld_parse_errconv(struct ld *L, const struct hcf_ynode *n, enum hcf_err_conv *out);
void ld_parse_errors(struct ld *L, const struct hcf_ynode *seq, int64_t **out, size_t *nout);
bool ld_parse_exceptions(struct ld *L, const struct hcf_ynode *seq, uint32_t *out);
bool ld_parse_reg(struct ld *L, const struct hcf_ynode *n, const char *what, unsigned *reg,
		  unsigned *width);
bool ld_parse_regmask(struct ld *L, const struct hcf_ynode *seq, const char *what,
		      hcf_regmask_t *out);
bool ld_parse_regref(struct ld *L, const struct hcf_ynode *n, const char *what, bool allow_none,
		     unsigned *reg, unsigned *width);
bool ld_parse_rflags(struct ld *L, const struct hcf_ynode *seq, uint64_t *out);
void ld_parse_structs(struct ld *L, const struct hcf_ynode *map);
void ld_parse_vset(struct ld *L, const struct hcf_ynode *seq, const char *what, bool allow_any,
		   struct hcf_vset *out);
bool ld_parse_width(struct ld *L, const struct hcf_ynode *n, unsigned alias_width,
		    const char *regname, unsigned *width);

#endif /* HCF_SPEC_NATIVE_H */
