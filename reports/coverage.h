/*
 * coverage.h: the spec coverage matrix: per call and sub-operation of a spec,
 * which classes of input values were tried and which outcomes were seen.
 *
 * A matrix is built from an ABI (a row per op in spec order, then one row for
 * undeclared numbers) and fed a program and its result at a time: every call
 * that ran counts under the op it issued (as the oracles judge it), each of
 * its inputs in its value class (prog/value_class.h), its outcome in one of:
 *   ok, error         a returned success value, one of the op's declared errors
 *   undeclared-value  a returned value the contract allows neither way
 *   unclassified      returned, but its status field could not be read
 *   exception         by vector (declared or not)
 *   lost, hang        the guest ended (by how), or did not come back
 *   bad-result        the guest reported a result hcfuzz cannot trust
 * (the classes of hcf_oracle_retval_class: what the retval oracle fails is
 * what the matrix counts as undeclared-value).
 *
 * The matrix's cells are what a run should reach: each op called, each
 * class that applies to each of its inputs tried, a success where the op can
 * succeed, each declared error seen. Its share reached is what a campaign's
 * status line shows. Exceptions, losses, hangs and undeclared values are
 * counted, never required.
 *
 * coverage.json (docs/reports.md, versioned) holds a matrix whole: a
 * matrix read back from it needs no spec (the campaign report), and matrices
 * of one spec add up, by names (a campaign's engines). Feeding costs a few
 * comparisons per input of a call; nothing is allocated.
 */
#ifndef HCF_COVERAGE_H
#define HCF_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prog/prog.h"
#include "prog/value_class.h"
#include "spec/spec.h"
#include "target/result.h"
#include "util/liveness.h"

#define HCF_COV_FORMAT "hcfuzz-coverage"
#define HCF_COV_VERSION 1
#define HCF_COV_UNDECLARED_ROW "undeclared"
/* Exceptions by vector 0..31; vectors above (interrupts) share the last. */
#define HCF_COV_VECTORS 33

enum hcf_cov_outcome {
	HCF_COV_OK,
	HCF_COV_ERROR,
	HCF_COV_UNDECLARED,
	HCF_COV_UNCLASSIFIED,
	HCF_COV_EXCEPTION,
	HCF_COV_LOST,
	HCF_COV_HANG,
	HCF_COV_BAD_RESULT,
	HCF_COV_NOUTCOMES
};
/* "ok", "error", "undeclared-value", "unclassified", "exception", "lost",
 * "hang", "bad-result"; "?" out of range. */
const char *hcf_cov_outcome_name(enum hcf_cov_outcome o);

struct hcf_cov_input {
	char *name;
	uint8_t reg;                /* enum hcf_gpr */
	uint8_t width;              /* bits */
	bool pointer;               /* points to a struct: valid, edge, invalid apply */
	uint32_t applies;           /* bit per enum hcf_vclass that applies */
	uint64_t n[HCF_VC_COUNT];   /* calls per class */
	/* for classifying (matrices built from an ABI) */
	const struct hcf_vset *hints;
	uint32_t need;              /* bytes of the struct a pointer points to */
};

struct hcf_cov_error {
	char *name;                 /* "-KVM_ENOSYS", or the number */
	int64_t code;               /* as the spec lists it */
	uint64_t n;
};

struct hcf_cov_row {
	char *op;                   /* op name, or HCF_COV_UNDECLARED_ROW */
	char *call;                 /* the call it belongs to (the op's name for the last row) */
	bool declared;              /* false: the undeclared numbers' row */
	bool has_nr, has_subop;
	uint64_t nr, subop;
	bool can_succeed;           /* the contract allows a success value */
	uint64_t calls;             /* calls that ran */
	struct hcf_cov_input *in;
	size_t nin;
	uint64_t out[HCF_COV_NOUTCOMES];
	struct hcf_cov_error *err;  /* one per declared error, in the spec's order */
	size_t nerr;
	uint64_t vec[HCF_COV_VECTORS];
	uint64_t vec_declared;      /* bit v: the contract allows vector v */
	uint64_t lost[HCF_LIVE_COUNT]; /* losses by how the guest ended */
};

struct hcf_cov {
	char *abi_name;
	char *spec_path;            /* may be NULL */
	const struct hcf_abi *abi;  /* NULL for a matrix read from JSON: it cannot be fed */
	struct hcf_cov_row *rows;   /* declared ops in spec order, the undeclared row last */
	size_t nrows;
	uint64_t programs;          /* programs fed */
};

/* What a matrix reached: its cells (called, classes that apply, success,
 * declared errors) and those with a count. */
struct hcf_cov_reach {
	size_t cells, reached;
	size_t ops, ops_reached;            /* rows called (the undeclared row included) */
	size_t classes, classes_reached;    /* input class cells */
	size_t errors, errors_reached;      /* declared error cells */
	size_t ok, ok_reached;              /* success cells */
};

/* An empty matrix of abi, which must outlive it. spec_path may be NULL. */
struct hcf_cov *hcf_cov_new(const struct hcf_abi *abi, const char *spec_path);
void hcf_cov_free(struct hcf_cov *cov);
/* Count every call of p that ran in r (r's calls beyond p's are ignored). */
void hcf_cov_add(struct hcf_cov *cov, const struct hcf_prog *p, const struct hcf_prog_result *r);
/* Every count back to zero. */
void hcf_cov_clear(struct hcf_cov *cov);
/* Add src's counts to dst's, row by op name, input by name, error by name;
 * what dst lacks is skipped and counted. Returns how many items were
 * skipped (0: the matrices have the same shape). */
size_t hcf_cov_add_counts(struct hcf_cov *dst, const struct hcf_cov *src);

void hcf_cov_reach(const struct hcf_cov *cov, struct hcf_cov_reach *r);
/* reached / cells, 0 for a matrix without cells. */
double hcf_cov_share(const struct hcf_cov *cov);

/* "73% of the matrix reached (120 of 160 cells; 2 calls never made)" into buf. */
const char *hcf_cov_format_reach(const struct hcf_cov *cov, char *buf, size_t len);
/* The share reached in whole percent, rounded down (99.9% is not all of it). */
int hcf_cov_percent(const struct hcf_cov *cov);

/* coverage.json's object (a jansson json_t *, new reference). */
void *hcf_cov_to_json_v(const struct hcf_cov *cov);
/* Its text, indented or compact (caller frees), NULL without memory. */
char *hcf_cov_to_text(const struct hcf_cov *cov, bool indent);
/* A matrix from coverage.json's object (a json_t *): NULL with why in err
 * for anything that is not one (another format or version, a row without a
 * name, a count that is not a number). */
struct hcf_cov *hcf_cov_from_json_v(const void *json, char *err, size_t errlen);
/* The same from a file (at most HCF_COV_FILE_MAX bytes: a matrix of the
 * largest spec is well under 1 MiB), the error prefixed with its name. */
#define HCF_COV_FILE_MAX (64u << 20)
struct hcf_cov *hcf_cov_load_file(const char *path, char *err, size_t errlen);

/* ---- rendering (coverage_render.c) --------------------------------------------- */

struct hcf_rbuf;

/* coverage.md: a title, the share, the inputs table, the outcomes table,
 * what was never reached. */
void hcf_cov_render_md(const struct hcf_cov *cov, struct hcf_rbuf *b);
/* coverage.html: one self-contained page, the heat map. */
void hcf_cov_render_html(const struct hcf_cov *cov, struct hcf_rbuf *b);
/* A few lines for another Markdown report (summary.md, report.md): the
 * share, the calls never made, how many classes and errors were not
 * reached, where the matrix is. heading: the heading's level ("##"). */
void hcf_cov_render_md_summary(const struct hcf_cov *cov, struct hcf_rbuf *b, const char *heading);
/* The same as an HTML fragment (report.html). */
void hcf_cov_render_html_summary(const struct hcf_cov *cov, struct hcf_rbuf *b);

#endif /* HCF_COVERAGE_H */
