/*
 * spec_parse.h: what the spec loaders share (private to harness/spec/).
 *
 * A spec file is first read into a small YAML tree (spec_yaml.c) that keeps
 * the position of every node, then each dialect (spec_ops.c for the native
 * language, spec_fastabi.c for Xen FastABI files) walks that tree against key
 * tables and fills a struct hcf_abi. Every problem goes through
 * hcf_spec_err(), which records file:line:column and counts the error, so a
 * loader can keep going and report as many problems as practical, then refuse
 * the whole spec if any was found.
 */
#ifndef HCF_SPEC_PARSE_H
#define HCF_SPEC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/diag.h"

/* ---- the YAML tree ---------------------------------------------------- */

enum hcf_ykind { HCF_Y_SCALAR, HCF_Y_SEQ, HCF_Y_MAP };

struct hcf_ynode {
	enum hcf_ykind kind;
	unsigned line, col;        /* 1-based, of the node's first character */
	bool plain;                /* scalar written without quotes or block style */
	char *str;                 /* scalar text, NUL-terminated (never contains NUL) */
	size_t len;
	struct hcf_ynode **kids;   /* SEQ: items; MAP: key, value, key, value ... */
	size_t n, cap;
};

/* Nesting deeper than this is refused: no spec needs it, and every walker
 * stays far from the stack limit whatever the input. */
#define HCF_YAML_MAX_DEPTH 64

/* ---- loader context ---------------------------------------------------- */

struct hcf_spec_ctx {
	struct hcf_diags *diags;
	const char *file;          /* current file name, owned by abi->files */
	unsigned nerr;             /* errors reported through this context */
	struct hcf_abi *abi;       /* being filled */
	size_t ops_cap, calls_cap; /* capacity of abi->ops / abi->calls */
	const char *text;          /* current buffer, for reader-error offsets */
	size_t text_len;
};

void hcf_spec_err(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct hcf_srcpos hcf_spec_pos(const struct hcf_spec_ctx *c, const struct hcf_ynode *n);
/* "12:5" for a position in the current file, "file:12:5" for one elsewhere. */
const char *hcf_spec_pos_str(const struct hcf_spec_ctx *c, const struct hcf_srcpos *p,
			     char *buf, size_t len);

/* Parse text into a tree. Returns NULL after reporting (syntax errors at
 * libyaml's problem position, aliases, tags, several documents, empty input). */
struct hcf_ynode *hcf_yaml_parse(struct hcf_spec_ctx *c, const char *text, size_t len);
void hcf_yaml_free(struct hcf_ynode *n);

bool hcf_y_is_null(const struct hcf_ynode *n);
const char *hcf_y_kind_name(const struct hcf_ynode *n);
/* Pairs of a mapping and items of a list; 0 for anything else, so a null
 * value ("input:" with nothing after it) walks as empty. */
size_t hcf_y_npairs(const struct hcf_ynode *n);
size_t hcf_y_nitems(const struct hcf_ynode *n);
static inline const struct hcf_ynode *hcf_y_key(const struct hcf_ynode *n, size_t i)
{
	return n->kids[2 * i];
}
static inline const struct hcf_ynode *hcf_y_val(const struct hcf_ynode *n, size_t i)
{
	return n->kids[2 * i + 1];
}
/* Value of key in a mapping, or NULL. */
const struct hcf_ynode *hcf_y_get(const struct hcf_ynode *map, const char *key);

/* ---- key tables -------------------------------------------------------- */

#define HCF_YT_SCALAR 1u
#define HCF_YT_SEQ 2u
#define HCF_YT_MAP 4u

struct hcf_spec_key {
	const char *name;
	unsigned types;     /* HCF_YT_* accepted; a null value counts as an empty SEQ/MAP */
	bool required;
	unsigned where;     /* bitmask of contexts the key is allowed in; 0 = every context */
};

/*
 * Match the keys of map against keys[0..nkeys): vals[i] gets the value node
 * of keys[i], or NULL when absent. Reports, at the offending node: a value
 * that is not a mapping, unknown keys (naming the allowed ones), keys repeated
 * (libyaml accepts them), values of the wrong kind and missing required keys.
 * what names the mapping in messages ("call", "transport"). where selects the
 * keys allowed here. Returns false if anything was reported.
 */
bool hcf_spec_map_keys(struct hcf_spec_ctx *c, const struct hcf_ynode *map, const char *what,
		       const struct hcf_spec_key *keys, size_t nkeys, unsigned where,
		       const struct hcf_ynode **vals);

/* Report every key of a free-form mapping (constants, structs, arguments)
 * that repeats an earlier one. Returns false if any did. */
bool hcf_spec_check_dup_keys(struct hcf_spec_ctx *c, const struct hcf_ynode *map);

/* Report entries sharing a key: n entries with keys[i] (numbers) or names[i]
 * (strings) and positions pos[i]; each later duplicate gets
 * "<what> <key> already used by <owner[j]> at <pos>". Sorting keeps this
 * O(n log n) for spec files with very many calls. */
void hcf_spec_dup_numbers(struct hcf_spec_ctx *c, size_t n, const uint64_t *keys,
			  const char *const *owners, const struct hcf_srcpos *pos,
			  const char *what);
void hcf_spec_dup_names(struct hcf_spec_ctx *c, size_t n, const char *const *names,
			const struct hcf_srcpos *pos, const char *what);

/* ---- scalars ----------------------------------------------------------- */

/* Integer syntax: optional '-', then decimal, 0x hex, 0o octal or 0b binary
 * digits, nothing else. Gives sign and magnitude; false if malformed or the
 * magnitude does not fit 64 bits. */
bool hcf_spec_int_syntax(const char *s, bool *neg, uint64_t *mag);

/* A non-negative integer no larger than max. what names it in messages. */
bool hcf_y_uint(struct hcf_spec_ctx *c, const struct hcf_ynode *n, uint64_t max, const char *what,
		uint64_t *out);
/* A 64-bit value: -2^63 .. 2^64-1, where literals above 2^63-1 are the same
 * bits as the negative numbers (0xffffffffffffffff is -1). */
bool hcf_y_value(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *what, int64_t *out);
/* A non-empty string (plain or quoted scalar). NULL after reporting. */
const char *hcf_y_str(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *what);
/* true / false. */
bool hcf_y_bool(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *what, bool *out);

/* Values as the native language writes them (spec_values.c): an integer or
 * a constant name (-NAME negates); a list of values and {min, max} ranges;
 * a list of exception names or vectors. */
bool hcf_spec_value(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *what,
		    int64_t *out);
void hcf_spec_vset(struct hcf_spec_ctx *c, const struct hcf_ynode *n, const char *what,
		   struct hcf_vset *out);
bool hcf_spec_exceptions(struct hcf_spec_ctx *c, const struct hcf_ynode *seq, uint32_t *out);

/* The contract's conditional parts (spec_contract.c). A condition maps
 * inputs of op (by argument or register name) to value tests; the loss model
 * is destructive's mapping form, or a call's own ends: (hcf_spec_ends), or
 * undeclared's ends: (op NULL); known_anomalies is a top-level list, read
 * once every call is known. */
void hcf_spec_cond(struct hcf_spec_ctx *c, const struct hcf_ynode *map, const struct hcf_op *op,
		   struct hcf_cond *out);
void hcf_spec_losses(struct hcf_spec_ctx *c, const struct hcf_ynode *map, struct hcf_op *op);
void hcf_spec_ends(struct hcf_spec_ctx *c, const struct hcf_ynode *ends, struct hcf_op *op);
void hcf_spec_undeclared_ends(struct hcf_spec_ctx *c, const struct hcf_ynode *ends);
void hcf_spec_anomalies(struct hcf_spec_ctx *c, const struct hcf_ynode *seq);

/* What the hypervisor must offer (spec_require.c): the native `requires:`
 * list; one CPUID bit a dialect requires itself (reg: 0 eax .. 3 edx); and
 * freeing them with the ABI. */
void hcf_spec_requires(struct hcf_spec_ctx *c, const struct hcf_ynode *seq);
void hcf_spec_require_cpuid(struct hcf_abi *abi, const char *feature, const char *doc,
			    const char *signature, unsigned leaf, unsigned reg, uint32_t mask);
void hcf_spec_requires_free(struct hcf_abi *abi);

/* ---- building the ABI ------------------------------------------------- */

/* Append a call / an op, growing the arrays; returns its index. */
size_t hcf_spec_new_call(struct hcf_spec_ctx *c);
size_t hcf_spec_new_op(struct hcf_spec_ctx *c);
/* Append a file name to abi->files and make it the current file. */
void hcf_spec_set_file(struct hcf_spec_ctx *c, const char *name);

/* The Xen FastABI dialect (spec_fastabi.c). init sets the ABI-wide facts
 * (transport, registers, errno constants); add_file adds the call of one
 * operation file; finish runs the checks across files. */
void hcf_spec_fastabi_init(struct hcf_spec_ctx *c);
void hcf_spec_fastabi_add_file(struct hcf_spec_ctx *c, const struct hcf_ynode *root);
void hcf_spec_fastabi_finish(struct hcf_spec_ctx *c);

/* Duplicate call numbers and names across abi->calls (spec_ops.c). */
void hcf_spec_check_call_dups(struct hcf_spec_ctx *c);

/* The native dialect (spec_ops.c). */
void hcf_spec_native_load(struct hcf_spec_ctx *c, const struct hcf_ynode *root);

#endif /* HCF_SPEC_PARSE_H */
