/*
 * diag.h: diagnostics that name a file and a position.
 *
 * Every loader and parser in hcfuzz (spec, program text, corpus files) reports
 * problems through one of these lists, so that the CLI can print them as
 * "file:line:column: error: message" the way compilers do and editors parse.
 */
#ifndef HCF_DIAG_H
#define HCF_DIAG_H

#include <stdarg.h>
#include <stdio.h>

#define HCF_DIAG_MAX 32
#define HCF_DIAG_MSG 240

struct hcf_srcpos {
	const char *file; /* not owned; the loader keeps the name alive */
	unsigned line;    /* 1-based; 0 when unknown */
	unsigned col;     /* 1-based; 0 when unknown */
};

struct hcf_diag {
	char file[256];
	unsigned line, col;
	char msg[HCF_DIAG_MSG];
};

struct hcf_diags {
	unsigned n;       /* diagnostics kept (at most HCF_DIAG_MAX) */
	unsigned dropped; /* further diagnostics counted but not kept */
	struct hcf_diag d[HCF_DIAG_MAX];
};

void hcf_diags_init(struct hcf_diags *ds);

/* A message into err[errlen] (nothing when err is NULL or errlen 0): how
 * functions that fail with "-1 and the reason in err" fill it. */
void hcf_set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Record an error at pos (pos may be NULL for a whole-file problem). */
void hcf_diag_add(struct hcf_diags *ds, const struct hcf_srcpos *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void hcf_diag_vadd(struct hcf_diags *ds, const struct hcf_srcpos *pos, const char *fmt, va_list ap);

/* Record an error against a file name with explicit line and column. */
void hcf_diag_addf(struct hcf_diags *ds, const char *file, unsigned line, unsigned col,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Print every diagnostic as "file:line:col: error: msg" to f. */
void hcf_diags_print(const struct hcf_diags *ds, FILE *f);

#endif /* HCF_DIAG_H */
