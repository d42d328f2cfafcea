/*
 * oracle_memory.c: the memory oracle: a call writes guest memory only where
 * its contract says.
 *
 * Every program buffer sits between two guards the target filled with
 * guard_byte. After the program, the guards must be intact, and inside a
 * buffer only bytes of OUT/INOUT fields (struct buffers) or of buffers the
 * program marked writable (raw buffers) may differ from what the program put
 * there. Bytes the target patched with guest addresses (relocations) are left
 * out: the program does not know their values. Each field or region is one
 * finding however many of its bytes changed. A change is attributed to the
 * last call that ran and references the buffer, directly in a register or
 * through a pointer stored in another referenced buffer; when no call
 * references it, to the last call that ran. Dirtied pages outside the
 * agent's writable areas (as the target's dirty log saw them) are findings of
 * the last call that ran. OUT fields of a struct a call's argument points to
 * may change wherever the pointer puts them, those of every element of an
 * array its count names too (see hcf_oracle_pointed_out).
 */
#include <stdio.h>
#include <string.h>

#include "oracles/oracle.h"

#define IMAGE_MAX (HCF_BUF_MAX + 2 * HCF_BUF_GUARD)

/* One buffer under check: the expected image, the bytes after the program and
 * which bytes may differ. Indexes are into the guard+data+guard image. */
struct image {
	const struct hcf_abi *abi;
	int b;
	uint32_t size;
	const uint8_t *got;
	uint8_t want[IMAGE_MAX];
	uint8_t free_[IMAGE_MAX];   /* 1: may differ (OUT bytes, relocations) */
	struct hcf_call_verdict *cv; /* the call changes are attributed to by default */
	/* for page attribution */
	const struct hcf_prog *p;
	const struct hcf_prog_result *r;
	struct hcf_call_verdict *cvs;
	size_t last;
	uint64_t gva0;               /* guest address of image byte 0 */
};

/*
 * Hypervisors act on pages: a write outside a buffer is usually made through
 * a pointer another call passed into the same page (PVM writes its virtual
 * IF into the whole page an unaligned VIF address falls in). The change goes
 * to the last call that ran with a buffer pointer into the page of the first
 * changed byte; without one, to the buffer's default owner.
 */
static struct hcf_call_verdict *pick_cv(const struct image *im, size_t first)
{
	uint64_t page = (im->gva0 + first) >> 12;
	for (size_t i = im->last + 1; i-- > 0;) {
		if (i >= im->r->ncalls)
			continue;
		const struct hcf_pcall *c = &im->p->calls[i];
		for (unsigned reg = 0; reg < HCF_NGPR; reg++)
			if (c->ref[reg].buf >= 0 && im->r->calls[i].before[reg] >> 12 == page)
				return &im->cvs[i];
	}
	return im->cv;
}

/*
 * For every buffer, the call a change to it is attributed to: the last call
 * that ran and can reach it, through a register pointing into it or through
 * pointers (relocations) stored in buffers it reaches; else the last call
 * that ran. One backward pass over the calls.
 */
static void attribute_all(const struct hcf_prog *p, size_t last_ran, size_t nb,
			  size_t owner[HCF_PROG_MAX_BUFS])
{
	uint64_t reach[HCF_PROG_MAX_BUFS];
	for (size_t b = 0; b < nb; b++) {
		reach[b] = 1ull << b;
		owner[b] = last_ran;
	}
	/* Relocation closure: reach[b] grows until nothing changes; at most
	 * nb rounds since every round adds at least one buffer somewhere. */
	for (size_t round = 0; round < nb; round++) {
		bool changed = false;
		for (size_t b = 0; b < nb; b++) {
			const struct hcf_buf *pb = &p->bufs[b];
			size_t nr = pb->nrelocs < HCF_BUF_MAX_RELOCS ? pb->nrelocs : HCF_BUF_MAX_RELOCS;
			uint64_t m = reach[b];
			for (size_t k = 0; k < nr; k++)
				if (pb->relocs[k].buf >= 0 && (size_t)pb->relocs[k].buf < nb)
					m |= reach[pb->relocs[k].buf];
			if (m != reach[b]) {
				reach[b] = m;
				changed = true;
			}
		}
		if (!changed)
			break;
	}
	uint64_t todo = nb >= 64 ? ~0ull : (1ull << nb) - 1;
	for (size_t i = last_ran + 1; i-- > 0 && todo;) {
		const struct hcf_pcall *c = &p->calls[i];
		uint64_t m = 0;
		for (unsigned r = 0; r < HCF_NGPR; r++)
			if (c->ref[r].buf >= 0 && (size_t)c->ref[r].buf < nb)
				m |= reach[c->ref[r].buf];
		m &= todo;
		for (size_t b = 0; b < nb; b++)
			if (m & (1ull << b))
				owner[b] = i;
		todo &= ~m;
	}
}

/* Compare image bytes [lo, hi) that may not differ. Returns the number that
 * differ, the first in *first and the last in *last. */
static size_t diff_region(const struct image *im, size_t lo, size_t hi, size_t *first,
			  size_t *last)
{
	size_t n = 0;
	for (size_t i = lo; i < hi; i++) {
		if (im->free_[i] || im->want[i] == im->got[i])
			continue;
		if (!n)
			*first = i;
		*last = i;
		n++;
	}
	return n;
}

/* The place of n changed image bytes first..last of kind k. */
static struct hcf_loc image_loc(const struct image *im, enum hcf_loc_kind k, size_t first,
				size_t last, size_t n)
{
	struct hcf_loc l = hcf_loc_of(k);
	l.buf = (int16_t)im->b;
	l.off = (int32_t)first - (int32_t)HCF_BUF_GUARD;
	l.nbytes = (uint32_t)n;
	l.addr = im->gva0 + first;
	l.end = im->gva0 + last + 1;
	return l;
}

static void check_guards(struct image *im, uint8_t guard)
{
	size_t first, last, n;
	size_t end = HCF_BUF_GUARD + im->size;

	n = diff_region(im, 0, HCF_BUF_GUARD, &first, &last);
	if (n) {
		struct hcf_loc loc = image_loc(im, HCF_LOC_GUARD_BELOW, first, last, n);
		hcf_call_verdict_add_values(pick_cv(im, first), HCF_V_FAIL, "memory", &loc, guard,
					    im->got[first],
					    "%zu of %u guard bytes before buf%d changed (first %zu "
					    "bytes before the start): a write below the buffer",
					    n, HCF_BUF_GUARD, im->b, HCF_BUF_GUARD - first);
	}
	n = diff_region(im, end, end + HCF_BUF_GUARD, &first, &last);
	if (n) {
		size_t off = first - HCF_BUF_GUARD;
		struct hcf_loc loc = image_loc(im, HCF_LOC_GUARD_ABOVE, first, last, n);
		hcf_call_verdict_add_values(pick_cv(im, first), HCF_V_FAIL, "memory", &loc, guard,
					    im->got[first],
					    "%zu of %u guard bytes after buf%d changed (first at "
					    "+%zu, %zu past the %u-byte buffer): a write beyond it",
					    n, HCF_BUF_GUARD, im->b, off, off - im->size, im->size);
	}
}

/* One finding for a data region [lo, hi) (buffer offsets) that may not change:
 * a place of kind k named name ("struct.field", the struct, or none), desc
 * starts the reason. */
static void check_data(struct image *im, uint32_t lo, uint32_t hi, enum hcf_loc_kind k,
		       const char *name, const char *desc)
{
	size_t first, last;
	size_t n = diff_region(im, HCF_BUF_GUARD + lo, HCF_BUF_GUARD + hi, &first, &last);
	if (!n)
		return;
	size_t off = first - HCF_BUF_GUARD;
	struct hcf_loc loc = image_loc(im, k, first, last, n);
	snprintf(loc.name, sizeof(loc.name), "%s", name ? name : "");
	hcf_call_verdict_add_values(pick_cv(im, first), HCF_V_FAIL, "memory", &loc, im->want[first],
				    im->got[first],
				    "%s changed: %zu of %u bytes differ, first at +%zu; the "
				    "hypervisor may not write it",
				    desc, n, hi - lo, off);
}

/* "S.f" for the first element, "S[k].f" for the others. */
static void element_name(char *buf, size_t len, const struct hcf_struct *st, uint32_t k,
			 const char *field)
{
	char idx[16] = "";
	if (k)
		snprintf(idx, sizeof(idx), "[%u]", k);
	snprintf(buf, len, "%s%s%s%s", st->name, idx, field ? "." : "", field ? field : "");
}

/*
 * A struct buffer holds its struct once, or, for the element of an array
 * (a pointer with a count names it), as many whole copies one after the
 * other as its size holds: how the plan lays out the elements a count
 * names. The first element's OUT fields are the hypervisor's to write; the
 * later ones' only where a call's count reaches them (hcf_oracle_memory_free
 * excuses those bytes); IN fields and padding never. Bytes past the last
 * whole element are past the struct.
 */
static void check_struct(struct image *im, const struct hcf_struct *st)
{
	uint8_t covered[HCF_BUF_MAX];
	uint32_t ssize = st->size ? st->size : 1;
	uint32_t nelem = st->array_element && im->size >= ssize ? im->size / ssize : 1;
	uint32_t end = ssize < im->size ? ssize : im->size; /* of one element */
	char label[64], desc[96];
	memset(covered, 0, end);

	/* Bytes of OUT/INOUT fields may change; an IN field overlapping one
	 * (a union) must not be blamed for it. */
	for (size_t k = 0; k < st->nfields; k++) {
		const struct hcf_field *f = &st->fields[k];
		uint64_t lo = f->offset, hi = (uint64_t)f->offset + f->size;
		for (uint64_t i = lo; i < hi && i < end; i++)
			covered[i] = 1;
	}
	for (uint32_t e = 0; e < nelem; e++) {
		uint32_t base = e * ssize;
		for (size_t k = 0; k < st->nfields; k++) {
			const struct hcf_field *f = &st->fields[k];
			if (((f->dir & HCF_DIR_OUT) && e == 0) || base + f->offset >= im->size)
				continue;
			uint64_t hi = (uint64_t)base + f->offset + f->size;
			if (hi > im->size)
				hi = im->size;
			element_name(label, sizeof(label), st, e, f->name);
			if (f->dir & HCF_DIR_OUT)
				snprintf(desc, sizeof(desc), "OUT field %s, of an element no call's count "
							     "reaches,", label);
			else
				snprintf(desc, sizeof(desc), "IN field %s", label);
			check_data(im, base + f->offset, (uint32_t)hi, HCF_LOC_FIELD, label, desc);
		}
		/* Padding, one finding per contiguous run. */
		for (uint32_t i = 0; i < end;) {
			if (covered[i]) {
				i++;
				continue;
			}
			uint32_t j = i;
			while (j < end && !covered[j])
				j++;
			element_name(label, sizeof(label), st, e, NULL);
			snprintf(desc, sizeof(desc), "%s padding", label);
			check_data(im, base + i, base + j, HCF_LOC_PADDING, label, desc);
			i = j;
		}
	}
	if (nelem * ssize < im->size) {
		element_name(label, sizeof(label), st, nelem - 1, NULL);
		snprintf(desc, sizeof(desc), "bytes after the end of %s", label);
		check_data(im, nelem * ssize, im->size, HCF_LOC_PAST_STRUCT, st->name, desc);
	}
}

void hcf_oracle_memory_free(const struct hcf_abi *abi, const struct hcf_prog *p,
			    const struct hcf_prog_result *r, size_t b, uint64_t gva0, size_t last,
			    uint8_t *free_)
{
	const struct hcf_buf *pb = &p->bufs[b];
	uint8_t *data = free_ + HCF_BUF_GUARD;
	memset(free_, 0, (size_t)pb->size + 2 * HCF_BUF_GUARD);
	if (pb->struct_idx >= 0 && (size_t)pb->struct_idx < abi->nstructs) {
		const struct hcf_struct *st = &abi->structs[pb->struct_idx];
		for (size_t k = 0; k < st->nfields; k++) {
			const struct hcf_field *f = &st->fields[k];
			if (!(f->dir & HCF_DIR_OUT))
				continue;
			for (uint64_t i = f->offset; i < (uint64_t)f->offset + f->size && i < pb->size; i++)
				data[i] = 1;
		}
	} else if (pb->dir & HCF_DIR_OUT) {
		memset(data, 1, pb->size);
	}
	size_t nr = pb->nrelocs < HCF_BUF_MAX_RELOCS ? pb->nrelocs : HCF_BUF_MAX_RELOCS;
	for (size_t k = 0; k < nr; k++)
		for (uint64_t i = pb->relocs[k].at; i < (uint64_t)pb->relocs[k].at + 8 && i < pb->size;
		     i++)
			data[i] = 1;
	if (r)
		hcf_oracle_pointed_out(abi, p, r, 0, last, gva0, gva0 + pb->size + 2 * HCF_BUF_GUARD,
				       free_);
}

static void check_buffer(const struct hcf_abi *abi, const struct hcf_prog *p,
			 const struct hcf_prog_result *r, int b, struct hcf_call_verdict *cvs,
			 size_t owner, size_t last)
{
	struct hcf_call_verdict *cv = &cvs[owner];
	const struct hcf_buf *pb = &p->bufs[b];
	const struct hcf_buf_after *rb = &r->bufs[b];
	static _Thread_local struct image im; /* 8 KiB: keep it off the stack */

	struct hcf_loc whole = hcf_loc_of(HCF_LOC_NONE);
	snprintf(whole.name, sizeof(whole.name), "buf%d", b);
	whole.buf = (int16_t)b;
	if (!rb->valid || !rb->bytes) {
		hcf_call_verdict_add(cv, HCF_V_SKIP, "memory", &whole,
				     "buf%d not checked: the target could not read it back", b);
		return;
	}
	if (pb->size == 0 || pb->size > HCF_BUF_MAX || rb->size != pb->size ||
	    (uint64_t)rb->cap < (uint64_t)pb->size + 2 * HCF_BUF_GUARD) {
		hcf_call_verdict_add(cv, HCF_V_ERROR, "memory", &whole,
				     "buf%d not checked: the target returned %u bytes (room %u) for a "
				     "%u-byte buffer",
				     b, rb->size, rb->cap, pb->size);
		return;
	}

	memset(&im, 0, sizeof(im));
	im.abi = abi;
	im.b = b;
	im.size = pb->size;
	im.got = rb->bytes;
	im.cv = cv;
	im.p = p;
	im.r = r;
	im.cvs = cvs;
	im.last = last;
	im.gva0 = rb->gva - HCF_BUF_GUARD;
	memset(im.want, r->guard_byte, (size_t)pb->size + 2 * HCF_BUF_GUARD);
	if (pb->init)
		memcpy(im.want + HCF_BUF_GUARD, pb->init, pb->size);
	else
		memset(im.want + HCF_BUF_GUARD, 0, pb->size);
	hcf_oracle_memory_free(abi, p, r, (size_t)b, im.gva0, last, im.free_);

	check_guards(&im, r->guard_byte);
	if (pb->struct_idx >= 0 && (size_t)pb->struct_idx < abi->nstructs)
		check_struct(&im, &abi->structs[pb->struct_idx]);
	else if (!(pb->dir & HCF_DIR_OUT))
		check_data(&im, 0, pb->size, HCF_LOC_READONLY, NULL, "read-only buffer");
}

/*
 * A changed page nobody may write: its bytes are excused only where a call
 * pointed an OUT field (hcf_oracle_pointed_out), byte by byte; the rest is a
 * finding of the last call that ran.
 */
static void check_page(const struct hcf_abi *abi, const struct hcf_prog *p,
		       const struct hcf_prog_result *r, const struct hcf_page_change *pc,
		       struct hcf_call_verdict *cv, size_t last)
{
	static _Thread_local uint8_t free_[4096];
	memset(free_, 0, sizeof(free_));
	hcf_oracle_pointed_out(abi, p, r, 0, last, pc->gpa, pc->gpa + 4096, free_);
	unsigned n = 0, first = 0, lastb = 0;
	for (unsigned i = 0; i < 4096; i++) {
		if (free_[i] || !hcf_page_byte_changed(pc, i))
			continue;
		if (!n++)
			first = i;
		lastb = i;
	}
	if (!n)
		return; /* every changed byte is one a call told the hypervisor to write */
	struct hcf_loc loc = hcf_loc_of(HCF_LOC_PAGE);
	loc.off = (int32_t)first;
	loc.nbytes = n;
	loc.addr = pc->gpa + first;
	loc.end = pc->gpa + lastb + 1;
	hcf_call_verdict_add_values(cv, HCF_V_FAIL, "memory", &loc, pc->was[first], pc->now[first],
				    "%u byte%s of page 0x%llx changed, first at 0x%llx, where the "
				    "agent does not write and no call pointed the hypervisor",
				    n, n == 1 ? "" : "s", (unsigned long long)pc->gpa,
				    (unsigned long long)loc.addr);
}

void hcf_oracle_memory(const struct hcf_abi *abi, const struct hcf_prog *p,
		       const struct hcf_prog_result *r, struct hcf_call_verdict *cvs)
{
	size_t last = hcf_oracle_last_ran(r);
	/* Nothing ran: the hypervisor had no chance to write anything. */
	if (p->ncalls == 0 || last == SIZE_MAX)
		return;
	if (last >= p->ncalls)
		last = p->ncalls - 1;
	/* A guest handed over to the program's code ran bytes the program
	 * chose, which may write anything; what the hypervisor wrote cannot be
	 * told from that (the liveness verdict says so). */
	size_t stop = hcf_oracle_stop_index(r);
	if ((stop < p->ncalls && r->calls[stop].outcome != HCF_CO_NOT_RUN &&
	     hcf_op_hands_over(hcf_prog_call_op(p, stop), r->calls[stop].before)) ||
	    hcf_oracle_resumed_in_agent(abi, p, r) != SIZE_MAX)
		return;
	/* A lost guest is judged too: the host reads its memory whatever became
	 * of its vCPU, and damage done before a loss is damage all the same. */
	size_t nb = p->nbufs < HCF_PROG_MAX_BUFS ? p->nbufs : HCF_PROG_MAX_BUFS;
	if (r->nbufs < nb) {
		struct hcf_loc loc = hcf_loc_of(HCF_LOC_NONE);
		hcf_call_verdict_add(&cvs[last], HCF_V_ERROR, "memory", &loc,
				     "the target returned %zu buffers for %zu; the rest are "
				     "not checked",
				     r->nbufs, nb);
		nb = r->nbufs;
	}
	size_t owner[HCF_PROG_MAX_BUFS];
	attribute_all(p, last, nb, owner);
	for (size_t b = 0; b < nb; b++)
		check_buffer(abi, p, r, (int)b, cvs, owner[b], last);

	/* Targets without a dirty log report no pages (pages_checked false). */
	size_t kept_stray = 0;
	for (size_t k = 0; k < r->npages && r->pages; k++) {
		if (r->pages[k].agent_writes)
			continue;
		kept_stray++;
		check_page(abi, p, r, &r->pages[k], &cvs[last], last);
	}
	size_t more = hcf_result_nstray(r) - kept_stray;
	if (more) {
		struct hcf_loc loc = hcf_loc_of(HCF_LOC_PAGES);
		hcf_call_verdict_add(&cvs[last], HCF_V_FAIL, "memory", &loc,
				     "%zu more pages outside the agent's writable areas changed", more);
	}
}
