/*
 * repro_int.h: the reproducer emitter's parts and what they share: the
 * finding's context (cx), what to check (plan, repro_plan.c), the guest code
 * (gen, repro_guest.c), and the C text (em, repro_write.c and
 * repro_checks.c). reports/repro_c.c drives them.
 */
#ifndef HCF_REPRO_INT_H
#define HCF_REPRO_INT_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "oracles/oracle.h"
#include "prog/layout.h"
#include "reports/repro.h"
#include "reports/repro/repro_asm.h"

/* ---- what to check: the plan ---------------------------------------------- */

enum ck {
	CK_CLOBBER_REG, CK_CLOBBER_FLAG, CK_CLOBBER_XMM, CK_EXCEPTION, CK_RETVAL,
	CK_MODEL_REG, CK_MODEL_FLAG, CK_MODEL_EXC, CK_MODEL_MONO, CK_MEMORY, CK_PAGES, CK_LIVENESS,
	CK_COUNT
};

enum lv { LV_HANG, LV_LOST, LV_BAD, LV_PROGRAM };

struct plan {
	enum ck kind;
	size_t call;                 /* the program call the check is on */
	size_t ncalls;               /* calls replayed */
	const struct hcf_op *op;     /* NULL: an undeclared number */
	const struct hcf_undeclared *undeclared; /* what it must do then (hcf_pcall_undeclared) */
	char name[96];               /* op name, or nr=0x... */
	char at[128];                /* "call 0 (invlpg)" */
	char what[200];              /* "clobber rax at call 0 (invlpg)" */
	unsigned reg, bit, xmm, width;
	uint64_t expect, mask;       /* model */
	int exp_vector;              /* model exception: -1 when the call should return */
	size_t prev;                 /* model monotonic: the earlier call */
	enum lv lv;
	bool vec;                    /* XMM0-15 around the checked call */
	int mbuf;                    /* memory: the buffer */
	uint32_t ilo, ihi;           /* memory: the place, as offsets into its image */
};

struct cx {
	const struct hcf_repro_src *src;
	const struct hcf_abi *abi;
	const struct hcf_prog *p;
	const struct hcf_finding *f;
};

/* ---- the guest code --------------------------------------------------------- */

struct gen {
	const struct cx *cx;
	const struct plan *pl;
	struct as a;
	size_t ncalls, nslots;
	size_t slot_probe, slot_vif, slot_hcpage;
	uint64_t (*img)[HCF_NGPR];   /* the register image of each call */
	struct hcf_layout layout;
	uint64_t buf_gpa[HCF_PROG_MAX_BUFS];
	uint8_t *buf_image[HCF_PROG_MAX_BUFS]; /* guard | contents | guard before the run */
	uint8_t *buf_init[HCF_PROG_MAX_BUFS];  /* the contents: into buf_image */
	size_t *call_l;              /* label of each call; [ncalls] is "done" */
	size_t *cont_l;              /* per slot: where the exception path goes on */
	size_t *native_at;           /* offsets of the vmcall bytes patched at run time */
	size_t nnative;
	size_t entry_off, stubs_off;
};

/* ---- writing the C program ------------------------------------------------- */

struct em {
	FILE *f;
	const struct cx *cx;
	const struct plan *pl;
	struct gen *g;
};

/* text for C comments and string literals (repro_write.c) */
const char *rp_c_i64(int64_t v, char *buf, size_t len);
void rp_cmt(const char *s, char *out, size_t len);
void rp_cstr(const char *s, char *out, size_t len);

/* what to check (repro_plan.c) */
int rp_make_plan(struct plan *pl, const struct cx *cx, char *err, size_t errlen);
int rp_status_place(const struct cx *cx, const struct plan *pl, int *b, int64_t *off,
		    unsigned *size, char *why, size_t len);

/* the guest code (repro_guest.c) */
int rp_gen_code(struct gen *g, char *err, size_t errlen);
void rp_gen_free(struct gen *g);

/* the program's text (repro_write.c, repro_checks.c) */
const char *rp_reg_upper(unsigned r);
uint32_t rp_allowed_vectors(const struct plan *pl);
void rp_contract_text(struct em *e, char *buf, size_t len);
void rp_emit_finding(struct em *e);
void rp_emit_header(struct em *e);
void rp_fmt_errors(const struct cx *cx, const struct hcf_op *op, char *buf, size_t len);
void rp_fmt_vectors(uint32_t mask, char *buf, size_t len);
void rp_fmt_vset(const struct hcf_vset *s, char *buf, size_t len);
void rp_pf(struct em *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rp_pwrap(struct em *e, const char *first, const char *cont, const char *text);
void rp_emit_check(struct em *e);

#endif /* HCF_REPRO_INT_H */
