/*
 * learn.h: `hcfuzz learn`, a draft spec from what a hypervisor does.
 *
 * Learning runs in two passes over a target opened for a probing ABI (a
 * transport and a number register, every number undeclared and destructive,
 * so the target puts the guest back after each probe):
 *
 * 1. The scan issues each number of the ranges once, every other register
 *    holding its sentinel, and reduces what came back to an answer (how the
 *    call ended, which registers changed and to what). The most common
 *    answer is the default one, what an unknown number gets; a number that
 *    answers otherwise is a call.
 * 2. Each call is probed deeper: repeated as it was (what varies between
 *    identical calls is nondeterministic), every input register varied
 *    through value classes one at a time (does the answer change? only for
 *    the low 32 bits? do small values select distinct behaviours, a
 *    sub-operation?), and every register pointed at a buffer of known bytes
 *    (which bytes does the hypervisor write, does the answer depend on the
 *    bytes there?). Exceptions and lost guests are recorded with an input
 *    that caused them.
 *
 * Every fact keeps its evidence (how many probes showed it, of how many);
 * learn_draft.c writes them as a spec with that evidence in comments.
 * Probing is bounded by a budget of calls and of time: what the budget cut
 * short is said, not guessed.
 */
#ifndef HCF_LEARN_H
#define HCF_LEARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "spec/spec.h"
#include "target/target.h"
#include "util/liveness.h"

/* A range of call numbers, both ends included. */
struct hcf_learn_range {
	uint64_t lo, hi;
};

#define HCF_LEARN_MAX_RANGES 16
#define HCF_LEARN_MAX_VALUES 32   /* distinct return values kept per call */

struct hcf_learn_opts {
	struct hcf_learn_range ranges[HCF_LEARN_MAX_RANGES];
	size_t nranges;
	uint64_t around;          /* also scan this many numbers on each side of every number
	                             that answers otherwise, and around those found so (0: no) */
	uint64_t max_calls;       /* budget of calls (0: none) */
	double max_seconds;       /* budget of time (0: none) */
	bool quiet;               /* no status line */
};

/* What one call did, reduced to what learning compares. */
struct hcf_learn_answer {
	uint8_t outcome;               /* enum hcf_call_outcome */
	uint8_t vector;                /* HCF_CO_EXCEPTION */
	uint8_t lost;                  /* enum hcf_liveness, for a lost guest */
	hcf_regmask_t changed;         /* registers that differ after the call */
	uint64_t after[HCF_NGPR];      /* their values (0 for a kept register) */
	/* the follow-up call (hcf_learned.follow_nr), when there is one: how
	 * it ended, which shows what the call left of the guest */
	uint8_t next_outcome, next_vector, next_lost;
};

/* An input that made a call do something: a register and its value. */
/* What the registers a probe does not set hold. */
enum hcf_learn_base {
	HCF_LEARN_SENTINELS,           /* each its sentinel */
	HCF_LEARN_ZEROS,               /* 0 */
	HCF_LEARN_ONES,                /* all ones (a table limit, a mask that allows all) */
	HCF_LEARN_NBASES
};

struct hcf_learn_example {
	bool seen;
	uint8_t base;                  /* enum hcf_learn_base: every other register */
	unsigned reg;                  /* HCF_NGPR: none set, the base alone */
	uint64_t value;
	unsigned count;                /* probes that did it */
};

#define HCF_LEARN_PAIR_VALUES 3    /* values of an input another input is varied with */

/* What varying one register did to one call. */
struct hcf_learn_reg {
	/* alone, every other register its sentinel, then every other 0 */
	unsigned tried, differed;      /* values tried; those that changed the answer */
	uint64_t differed_example;     /* one of them */
	uint64_t pair_values[HCF_LEARN_PAIR_VALUES]; /* distinct values that changed it */
	size_t npair_values;
	/* with another input holding one of its pair_values */
	unsigned pair_tried, pair_differed;
	unsigned pair_reg;             /* that input, for the example */
	uint64_t pair_with, pair_example; /* its value, and a value of this one that mattered */
	unsigned high_tried, high_alike; /* pairs differing in bits 63..32 only; answered alike */
	unsigned small_answers;        /* distinct answers among the values 0..7 */
	/* pointed at a buffer */
	unsigned pointed;              /* probes with the register pointing at a buffer */
	bool wrote;                    /* the hypervisor changed bytes there */
	int64_t write_lo, write_hi;    /* the span it changed, from the pointer [lo, hi) */
	unsigned write_count;          /* probes that wrote */
	bool page_known;               /* every write lay in the page the pointer is in: */
	int64_t page_lo, page_hi;      /* the span written, from that page's start */
	bool reads;                    /* the answer depended on the bytes there */
};

struct hcf_learn_value {
	uint64_t v;
	unsigned count;
};

struct hcf_learn_call {
	uint64_t nr;
	struct hcf_learn_answer scan;  /* its answer in the scan */
	unsigned probes;               /* calls made to it, scan included */
	unsigned repeats, repeats_alike; /* identical repeats of the scan's call */
	hcf_regmask_t nondet;          /* registers that differed between identical calls */
	hcf_regmask_t changed_any;     /* registers any returned probe changed */
	unsigned changed_count[HCF_NGPR]; /* returned probes that changed each */
	unsigned returned;             /* probes that returned */
	struct hcf_learn_value values[HCF_LEARN_MAX_VALUES]; /* return register's values, changed */
	unsigned ret_kept;             /* returned probes that left the return register as it was */
	size_t nvalues;
	bool values_overflow;          /* more distinct values than kept */
	struct hcf_learn_example exc[32];   /* per vector: an input that raised it */
	struct hcf_learn_example lost[HCF_LIVE_COUNT]; /* per way: an input that lost the guest */
	/* the follow-up call ended otherwise than after a harmless call: it
	 * returned but left the guest changed; per enum hcf_liveness the
	 * follow-up lost the guest (index 0: it came back, but otherwise) */
	struct hcf_learn_example later[HCF_LIVE_COUNT];
	unsigned followed;             /* probes where the call returned and the follow-up ran */
	/* guests lost with their rip known, and of those, per register, the
	 * ones lost at the very address the register held (at two addresses
	 * at least: rip_seen): a call that hands the guest over to it */
	unsigned lost_with_rip;
	unsigned lost_at_reg[HCF_NGPR];
	uint64_t lost_at_first[HCF_NGPR];
	bool lost_at_two[HCF_NGPR];
	struct hcf_learn_reg regs[HCF_NGPR];
	unsigned noise;                /* differences that did not repeat when probed again */
	bool complete;                 /* every deep probe ran (the budget did not cut it) */
};

struct hcf_learned {
	char target[16], hypervisor[16];
	struct hcf_learn_range ranges[HCF_LEARN_MAX_RANGES]; /* the numbers asked for */
	size_t nranges;
	unsigned nr_reg;               /* the number register */
	uint64_t probed;               /* numbers scanned */
	uint64_t calls;                /* calls made, scan and deep probes */
	double seconds;
	bool budget_hit;               /* the budget (or an interrupt) cut the probing short */
	bool interrupted;              /* it was an interrupt (SIGINT, SIGTERM) */
	uint64_t scanned_to;           /* with budget_hit: the last number scanned */
	/* how far the scan of the ranges got: every range before range_reached
	 * whole, that one up to range_last (all of them when ranges_done) */
	bool ranges_done;
	size_t range_reached;
	uint64_t range_last;
	struct hcf_learn_answer def;   /* the default answer */
	uint64_t def_count;            /* numbers that gave it */
	unsigned ret_reg;              /* the one register the default answer changes, or HCF_REG_NONE */
	/* A number that raised an exception in the scan, issued after every
	 * deep probe: the guest's exception delivery checked after the call (a
	 * table load, a control register, shows only there); follow how it ends
	 * as booted in follow_alone. has_follow false: none found. */
	bool has_follow;
	uint64_t follow_nr;
	uint64_t def_nr;               /* a number that gave the default answer */
	struct hcf_learn_answer follow_alone;
	struct hcf_learn_call *calls_found;
	size_t ncalls_found;
	size_t ndeep_done;             /* calls probed deeply */
};

/*
 * Learn what target t (opened for abi, the probing ABI: hcf_learn_seed_spec
 * or a spec the user gave) does for the numbers of opts. Returns 0 with L
 * filled (also when the budget ran out or the user interrupted: budget_hit),
 * or -1 with err when the harness failed.
 */
int hcf_learn_probe(struct hcf_target *t, const struct hcf_abi *abi,
		    const struct hcf_learn_opts *opts, struct hcf_learned *L, char *err,
		    size_t errlen);
void hcf_learned_free(struct hcf_learned *L);

/* The probing ABI's spec text for a transport as a spec writes it
 * ("int 0x1b", "{kind: pio, port: 0x500, width: 4}") and a number register
 * (NULL for pio and mmio, which carry the number in the port or address).
 * The caller frees it. */
char *hcf_learn_seed_spec(const char *transport, const char *nr_reg);

/* Parse "0x0-0x2000,0x40000000-0x400000ff" (a single number is a range of
 * one). 0, or -1 with why. */
int hcf_learn_parse_ranges(const char *s, struct hcf_learn_opts *opts, char *err, size_t errlen);

/*
 * Write the draft spec: the probing ABI's transport and number register, the
 * default answer as undeclared:, one call per number found, each fact with
 * its evidence. With base (may be NULL), a closing comment section lists how
 * the observations differ from that spec. Returns 0, or -1 on a write error.
 */
int hcf_learn_write_draft(FILE *f, const struct hcf_learned *L, const struct hcf_abi *probe_abi,
			  const char *transport_text, const struct hcf_abi *base);
/* transport_text NULL: the probing ABI's transport, as a spec writes it. */

/* The differences from base as lines of text (also the draft's closing
 * section), for the terminal; returns how many. */
size_t hcf_learn_compare(FILE *f, const char *prefix, const struct hcf_learned *L,
			 const struct hcf_abi *base);

#endif /* HCF_LEARN_H */
