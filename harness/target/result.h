/*
 * result.h: what a target reports back for a program.
 *
 * Per call: the register image before and after, RFLAGS before and after, how
 * the call ended (returned, exception, hang, guest lost), optional vector
 * state, timing. Per program: how far it got, the guest's liveness and the
 * contents of every buffer afterwards (guards included), plus any page outside
 * the agent's own writable areas that the guest dirtied.
 *
 * Everything here was copied out of guest memory through the checked accessor
 * and validated; oracles may trust the shape, never the values.
 */
#ifndef HCF_RESULT_H
#define HCF_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hcf_proto.h"
#include "prog/prog.h"
#include "util/liveness.h"

enum hcf_call_outcome {
	HCF_CO_NOT_RUN = 0,    /* the program stopped before this call */
	HCF_CO_RETURNED,       /* the call instruction completed */
	HCF_CO_EXCEPTION,      /* the call raised an exception (vector, error code) */
	HCF_CO_HANG,           /* the guest did not come back within the watchdog */
	HCF_CO_GUEST_LOST,     /* the guest died during the call (shutdown, internal error) */
	HCF_CO_BAD_RESULT,     /* the guest reported a result the harness cannot trust */
	HCF_CO_COUNT
};
const char *hcf_call_outcome_name(enum hcf_call_outcome o);

/* Why a guest stopped, when it did: enum hcf_liveness (util/liveness.h). */

/* Vector registers around one call (only for calls that captured them). */
struct hcf_call_vec {
	struct hcf_wire_vec before, after;
};

/*
 * One call's result. Kept small (it is read for every call of 65536-call
 * programs): vector state and the long detail text live elsewhere.
 */
struct hcf_call_result {
	enum hcf_call_outcome outcome;
	enum hcf_liveness lost_why;  /* HCF_CO_GUEST_LOST / HCF_CO_HANG */
	uint8_t vector;              /* HCF_CO_EXCEPTION */
	bool has_vec;                /* vec points at this call's vector state */
	uint64_t before[HCF_NGPR];   /* what the agent loaded (rsp: the agent's stack) */
	uint64_t after[HCF_NGPR];
	uint64_t rflags_before, rflags_after;
	uint64_t error_code, fault_rip, cr2;
	uint64_t tsc_delta;          /* 0 unless timing was requested */
	const struct hcf_call_vec *vec; /* NULL unless has_vec: an entry of the program result's vecs */
	const char *detail;          /* NULL, or why the call was lost / untrusted: a string that
	                                lives as long as the program result (its detail, or static) */
	bool has_lost_rip;           /* a loss in this call: the guest's rip when it was lost */
	uint64_t lost_rip;
};

/* A buffer after the program: guard + contents + guard, as in guest memory. */
struct hcf_buf_after {
	uint64_t gva;                /* where the buffer started */
	uint32_t size;               /* buffer size (without guards) */
	uint8_t *bytes;              /* HCF_BUF_GUARD + size + HCF_BUF_GUARD */
	uint32_t cap;                /* bytes allocated at `bytes` */
	bool valid;                  /* false if it could not be read back */
};

/*
 * A guest page whose bytes differ from the target's boot snapshot, found
 * through the dirty log. Stray pages are the ones the agent never writes
 * itself (page tables, GDT, IDT, code ...): a change there is the
 * hypervisor's. After a lost guest the target also reports the pages the
 * agent writes (stacks, data), marked agent_writes: their bytes are evidence
 * only where a call told the hypervisor to write them.
 */
struct hcf_page_change {
	uint64_t gpa;                /* the page */
	bool agent_writes;           /* the agent writes this page itself */
	uint16_t nchanged;           /* bytes that differ */
	uint64_t changed[64];        /* bit per byte that differs */
	uint8_t was[4096];           /* the snapshot's bytes */
	uint8_t now[4096];           /* the bytes after the program */
};

#define HCF_MAX_PAGE_CHANGES 16

static inline bool hcf_page_byte_changed(const struct hcf_page_change *pc, unsigned off)
{
	return off < 4096 && (pc->changed[off / 64] >> (off % 64) & 1);
}

struct hcf_prog_result {
	struct hcf_call_result *calls;   /* one per program call */
	size_t ncalls;                   /* == program's ncalls */
	size_t cap;                      /* call results allocated */
	size_t ndone;                    /* calls that completed (returned or exception) */
	enum hcf_liveness liveness;
	char detail[256];
	struct hcf_buf_after bufs[HCF_PROG_MAX_BUFS];
	size_t nbufs;
	uint8_t guard_byte;              /* value the guards were filled with */
	/* guest pages that differ from the snapshot (at most HCF_MAX_PAGE_CHANGES
	 * kept, storage reused across runs); pages_found counts every one */
	struct hcf_page_change *pages;
	size_t npages, pages_found, pages_cap;
	bool pages_checked;              /* false: the target cannot tell (no dirty log) */
	double seconds;                  /* wall time of the run */
	/* The host's CLOCK_REALTIME just before the run and just after it (0:
	 * not taken): every call of it ran in between, so a call that returns
	 * the host's clock is held to that window. The executor takes them. */
	uint64_t realtime_ns[2];
	struct hcf_call_vec *vecs;       /* per-call vector state, allocated when a call captures it */
	size_t vecs_cap;
};

/* Allocate result storage for n calls. Call results are NOT cleared: the
 * target writes every call (see hcf_call_result_init). */
int hcf_result_init(struct hcf_prog_result *r, size_t n);
void hcf_result_clear(struct hcf_prog_result *r); /* reset program fields, keep storage */
/* Every field of a call result: not run yet, before = after = before[],
 * no vector state, no detail. */
void hcf_call_result_init(struct hcf_call_result *cr, const uint64_t before[HCF_NGPR]);
/* Storage for buffer b's read-back (guards included), grown as needed; sets
 * size and gva. Returns the bytes to fill. */
uint8_t *hcf_result_buf_storage(struct hcf_prog_result *r, size_t b, uint32_t size, uint64_t gva);
/* Room for one more changed page (NULL when HCF_MAX_PAGE_CHANGES are kept:
 * pages_found still counts it). */
struct hcf_page_change *hcf_result_page_slot(struct hcf_prog_result *r);
/* A page whose bytes moved from was to now (4096 each), kept with a bitmap
 * of the bytes that changed; an agent page only while it crowds out no
 * stray one (HCF_MAX_PAGE_CHANGES). Nothing when no byte moved. */
void hcf_result_note_page(struct hcf_prog_result *r, uint64_t gpa, const uint8_t *was,
			  const uint8_t *now, bool agent_writes);
/* Stray pages: changed pages the agent does not write, kept and found. */
size_t hcf_result_nstray(const struct hcf_prog_result *r);
/* Storage for call i's vector state (grows r->vecs to the program's size). */
struct hcf_call_vec *hcf_result_vec_slot(struct hcf_prog_result *r, size_t i);
void hcf_result_free(struct hcf_prog_result *r);
/* A deep copy of src into dst (uninitialised; free it with hcf_result_free)
 * that outlives src's storage: calls, buffers, pages. Vector state is not
 * copied (has_vec is false); a call's detail becomes the program's. */
void hcf_result_copy(struct hcf_prog_result *dst, const struct hcf_prog_result *src);
/* Make room for n calls, keeping storage when it is big enough. */
int hcf_result_reserve(struct hcf_prog_result *r, size_t n);

#endif /* HCF_RESULT_H */
