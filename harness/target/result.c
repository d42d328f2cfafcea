/* result.c: result storage and the names of call outcomes. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "target/result.h"
#include "util/xalloc.h"

const char *hcf_call_outcome_name(enum hcf_call_outcome o)
{
	static const char *const names[HCF_CO_COUNT] = {
		"not-run", "returned", "exception", "hang", "guest-lost", "bad-result",
	};
	return (unsigned)o < HCF_CO_COUNT ? names[o] : "?";
}

int hcf_result_init(struct hcf_prog_result *r, size_t n)
{
	memset(r, 0, sizeof(*r));
	return hcf_result_reserve(r, n);
}

int hcf_result_reserve(struct hcf_prog_result *r, size_t n)
{
	if (n > r->cap || !r->calls) {
		free(r->calls);
		r->cap = n ? n : 1;
		r->calls = hcf_xcalloc(r->cap, sizeof(*r->calls));
	}
	r->ncalls = n;
	hcf_result_clear(r);
	return 0;
}

void hcf_result_clear(struct hcf_prog_result *r)
{
	struct hcf_call_result *calls = r->calls;
	size_t n = r->ncalls, cap = r->cap;
	struct hcf_call_vec *vecs = r->vecs;
	size_t vecs_cap = r->vecs_cap;
	struct hcf_page_change *pages = r->pages;
	size_t pages_cap = r->pages_cap;
	uint8_t *bytes[HCF_PROG_MAX_BUFS];
	uint32_t bcap[HCF_PROG_MAX_BUFS];
	for (size_t i = 0; i < HCF_PROG_MAX_BUFS; i++) {
		bytes[i] = r->bufs[i].bytes;
		bcap[i] = r->bufs[i].cap;
	}
	/* Call results are not zeroed: a target writes every field of every
	 * call it reports (hcf_call_result_init), which at 65536 calls per
	 * program saves clearing tens of megabytes per run. */
	memset(r, 0, sizeof(*r));
	r->calls = calls;
	r->ncalls = n;
	r->cap = cap;
	r->vecs = vecs;
	r->vecs_cap = vecs_cap;
	r->pages = pages;
	r->pages_cap = pages_cap;
	/* buffer storage is kept for reuse; contents are invalid until refilled */
	for (size_t i = 0; i < HCF_PROG_MAX_BUFS; i++) {
		r->bufs[i].bytes = bytes[i];
		r->bufs[i].cap = bcap[i];
	}
}

void hcf_call_result_init(struct hcf_call_result *cr, const uint64_t before[HCF_NGPR])
{
	cr->outcome = HCF_CO_NOT_RUN;
	memcpy(cr->before, before, sizeof(cr->before));
	memcpy(cr->after, before, sizeof(cr->after));
	cr->rflags_before = cr->rflags_after = 0;
	cr->vector = 0;
	cr->error_code = cr->fault_rip = cr->cr2 = 0;
	cr->tsc_delta = 0;
	cr->has_vec = false;
	cr->vec = NULL;
	cr->lost_why = HCF_LIVE_OK;
	cr->detail = NULL;
	cr->has_lost_rip = false;
	cr->lost_rip = 0;
}

uint8_t *hcf_result_buf_storage(struct hcf_prog_result *r, size_t b, uint32_t size, uint64_t gva)
{
	struct hcf_buf_after *ba = &r->bufs[b];
	uint32_t total = size + 2 * HCF_BUF_GUARD;
	if (ba->cap < total) {
		free(ba->bytes);
		ba->bytes = hcf_xmalloc(total);
		ba->cap = total;
	}
	ba->size = size;
	ba->gva = gva;
	ba->valid = false;
	return ba->bytes;
}

struct hcf_call_vec *hcf_result_vec_slot(struct hcf_prog_result *r, size_t i)
{
	if (i >= r->ncalls)
		return NULL;
	if (r->vecs_cap < r->ncalls) {
		r->vecs = hcf_xreallocarray(r->vecs, r->ncalls, sizeof(*r->vecs));
		r->vecs_cap = r->ncalls;
	}
	return &r->vecs[i];
}

void hcf_result_note_page(struct hcf_prog_result *r, uint64_t gpa, const uint8_t *was,
			  const uint8_t *now, bool agent_writes)
{
	if (!was || !now || memcmp(was, now, 4096) == 0)
		return;
	if (agent_writes && r->npages >= HCF_MAX_PAGE_CHANGES)
		return; /* evidence only: never crowd out a stray page's count */
	struct hcf_page_change *pc = hcf_result_page_slot(r);
	if (!pc)
		return;
	pc->gpa = gpa;
	pc->agent_writes = agent_writes;
	memcpy(pc->was, was, 4096);
	memcpy(pc->now, now, 4096);
	/* eight bytes at a time: most of a changed page is as it was */
	for (unsigned i = 0; i < 4096; i += 8) {
		uint64_t a, b;
		memcpy(&a, was + i, 8);
		memcpy(&b, now + i, 8);
		if (a == b)
			continue;
		for (unsigned j = i; j < i + 8; j++)
			if (was[j] != now[j]) {
				pc->changed[j / 64] |= 1ull << (j % 64);
				pc->nchanged++;
			}
	}
}

struct hcf_page_change *hcf_result_page_slot(struct hcf_prog_result *r)
{
	r->pages_found++;
	if (r->npages >= HCF_MAX_PAGE_CHANGES)
		return NULL;
	if (!r->pages) {
		r->pages = hcf_xcalloc(HCF_MAX_PAGE_CHANGES, sizeof(*r->pages));
		r->pages_cap = HCF_MAX_PAGE_CHANGES;
	}
	struct hcf_page_change *pc = &r->pages[r->npages++];
	pc->gpa = 0;
	pc->agent_writes = false;
	pc->nchanged = 0;
	memset(pc->changed, 0, sizeof(pc->changed));
	return pc;
}

size_t hcf_result_nstray(const struct hcf_prog_result *r)
{
	size_t n = r->pages_found > r->npages ? r->pages_found - r->npages : 0;
	for (size_t i = 0; i < r->npages; i++)
		n += !r->pages[i].agent_writes;
	return n;
}

void hcf_result_free(struct hcf_prog_result *r)
{
	free(r->calls);
	free(r->vecs);
	free(r->pages);
	for (size_t i = 0; i < HCF_PROG_MAX_BUFS; i++)
		free(r->bufs[i].bytes);
	memset(r, 0, sizeof(*r));
}

void hcf_result_copy(struct hcf_prog_result *dst, const struct hcf_prog_result *src)
{
	hcf_result_init(dst, src->ncalls);
	struct hcf_call_result *calls = dst->calls;
	size_t cap = dst->cap;
	memcpy(dst, src, offsetof(struct hcf_prog_result, bufs));
	dst->calls = calls;
	dst->cap = cap;
	memcpy(dst->calls, src->calls, src->ncalls * sizeof(*src->calls));
	for (size_t i = 0; i < src->ncalls; i++) { /* their pointers are src's */
		dst->calls[i].has_vec = false;
		dst->calls[i].vec = NULL;
		dst->calls[i].detail = src->calls[i].detail ? dst->detail : NULL;
	}
	dst->nbufs = src->nbufs;
	for (size_t b = 0; b < src->nbufs && b < HCF_PROG_MAX_BUFS; b++) {
		const struct hcf_buf_after *s = &src->bufs[b];
		if (!s->bytes)
			continue;
		uint8_t *bytes = hcf_result_buf_storage(dst, b, s->size, s->gva);
		memcpy(bytes, s->bytes, s->size + 2u * HCF_BUF_GUARD);
		dst->bufs[b].valid = s->valid;
	}
	dst->guard_byte = src->guard_byte;
	for (size_t k = 0; k < src->npages; k++) {
		struct hcf_page_change *pc = hcf_result_page_slot(dst);
		if (pc)
			*pc = src->pages[k];
	}
	dst->pages_found = src->pages_found;
	dst->pages_checked = src->pages_checked;
	dst->seconds = src->seconds;
	memcpy(dst->realtime_ns, src->realtime_ns, sizeof(dst->realtime_ns));
}
