/* nested_wire.c: messages to and from the kvm-nested runner (nested_wire.h). */
#include "target/nested_wire.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/hash.h"
#include "util/xalloc.h"

/* ---- payload buffers ------------------------------------------------------ */

void hcf_wbuf_bytes(struct hcf_wbuf *w, const void *p, size_t n)
{
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n)
			cap *= 2;
		w->p = hcf_xrealloc(w->p, cap);
		w->cap = cap;
	}
	if (n)
		memcpy(w->p + w->len, p, n);
	w->len += n;
}

void hcf_wbuf_u8(struct hcf_wbuf *w, uint8_t v)
{
	hcf_wbuf_bytes(w, &v, 1);
}

void hcf_wbuf_u32(struct hcf_wbuf *w, uint32_t v)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	hcf_wbuf_bytes(w, b, 4);
}

void hcf_wbuf_u64(struct hcf_wbuf *w, uint64_t v)
{
	hcf_wbuf_u32(w, (uint32_t)v);
	hcf_wbuf_u32(w, (uint32_t)(v >> 32));
}

void hcf_wbuf_f64(struct hcf_wbuf *w, double v)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof(bits));
	hcf_wbuf_u64(w, bits);
}

void hcf_wbuf_blob(struct hcf_wbuf *w, const void *p, size_t n)
{
	hcf_wbuf_u32(w, (uint32_t)n);
	hcf_wbuf_bytes(w, p, n);
}

void hcf_wbuf_str(struct hcf_wbuf *w, const char *s)
{
	hcf_wbuf_blob(w, s, s ? strlen(s) : 0);
}

void hcf_wbuf_free(struct hcf_wbuf *w)
{
	free(w->p);
	memset(w, 0, sizeof(*w));
}

void hcf_rbuf_init(struct hcf_rbuf *r, const void *p, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->len = len;
}

void hcf_rbuf_fail(struct hcf_rbuf *r, const char *what)
{
	if (r->bad)
		return;
	r->bad = true;
	snprintf(r->why, sizeof(r->why), "%s (at byte %zu of %zu)", what, r->off, r->len);
}

void hcf_rbuf_bytes(struct hcf_rbuf *r, void *out, size_t n)
{
	if (!r->bad && n > r->len - r->off)
		hcf_rbuf_fail(r, "the message ends early");
	if (r->bad) {
		memset(out, 0, n);
		return;
	}
	memcpy(out, r->p + r->off, n);
	r->off += n;
}

uint8_t hcf_rbuf_u8(struct hcf_rbuf *r)
{
	uint8_t v;
	hcf_rbuf_bytes(r, &v, 1);
	return v;
}

uint32_t hcf_rbuf_u32(struct hcf_rbuf *r)
{
	uint8_t b[4];
	hcf_rbuf_bytes(r, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

uint64_t hcf_rbuf_u64(struct hcf_rbuf *r)
{
	uint64_t lo = hcf_rbuf_u32(r);
	return lo | (uint64_t)hcf_rbuf_u32(r) << 32;
}

double hcf_rbuf_f64(struct hcf_rbuf *r)
{
	uint64_t bits = hcf_rbuf_u64(r);
	double v;
	memcpy(&v, &bits, sizeof(v));
	return v;
}

const uint8_t *hcf_rbuf_blob(struct hcf_rbuf *r, size_t max, size_t *n)
{
	uint32_t len = hcf_rbuf_u32(r);
	*n = 0;
	if (!r->bad && len > max)
		hcf_rbuf_fail(r, "a field longer than it may be");
	if (!r->bad && len > r->len - r->off)
		hcf_rbuf_fail(r, "the message ends early");
	if (r->bad)
		return NULL;
	const uint8_t *at = r->p + r->off;
	r->off += len;
	*n = len;
	return at;
}

void hcf_rbuf_str(struct hcf_rbuf *r, char *out, size_t len)
{
	size_t n;
	const uint8_t *s = hcf_rbuf_blob(r, HCF_NMSG_MAX, &n);
	size_t k = n < len - 1 ? n : len - 1;
	for (size_t i = 0; i < k; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	out[k] = '\0';
}

void hcf_rbuf_end(struct hcf_rbuf *r)
{
	if (!r->bad && r->off != r->len)
		hcf_rbuf_fail(r, "trailing bytes");
}

/* ---- messages on a byte stream -------------------------------------------- */

static uint32_t head_check(const struct hcf_nmsg_head *h)
{
	return (uint32_t)hcf_fnv64(HCF_FNV64_SEED, h, offsetof(struct hcf_nmsg_head, head_check));
}

static uint32_t payload_check(const void *payload, size_t len)
{
	return (uint32_t)hcf_fnv64(HCF_FNV64_SEED, payload, len);
}

/* All of it. A socket is written without SIGPIPE: a peer that is gone is an
 * error to report, not a reason for hcfuzz to die. */
static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	bool sock = true;
	while (n) {
		ssize_t k = sock ? send(fd, b, n, MSG_NOSIGNAL) : write(fd, b, n);
		if (k < 0 && errno == ENOTSOCK) {
			sock = false;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

int hcf_nmsg_send(int fd, enum hcf_nmsg_type type, uint32_t seq, const void *payload, size_t len)
{
	if (len > HCF_NMSG_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	struct hcf_nmsg_head h = {
		.magic = HCF_NMSG_MAGIC, .version = HCF_NMSG_VERSION, .type = (uint16_t)type,
		.seq = seq, .len = (uint32_t)len,
	};
	h.head_check = head_check(&h);
	h.check = payload_check(payload, len);
	if (write_all(fd, &h, sizeof(h)) != 0)
		return -1;
	return write_all(fd, payload, len);
}

uint8_t *hcf_nmsg_room(struct hcf_nmsg_reader *r, size_t want)
{
	if (r->len + want > r->cap) {
		size_t cap = r->cap ? r->cap : 65536;
		while (cap < r->len + want)
			cap *= 2;
		r->buf = hcf_xrealloc(r->buf, cap);
		r->cap = cap;
	}
	return r->buf + r->len;
}

enum hcf_nmsg_status hcf_nmsg_take(struct hcf_nmsg_reader *r, struct hcf_nmsg_head *head,
				   const uint8_t **payload, char *why, size_t whylen)
{
	if (r->len < sizeof(*head))
		return HCF_NMSG_NEED;
	memcpy(head, r->buf, sizeof(*head));
	if (head->magic != HCF_NMSG_MAGIC || head->version != HCF_NMSG_VERSION ||
	    head->head_check != head_check(head) || head->type == 0 || head->type >= HCF_NM_TYPES ||
	    head->len > HCF_NMSG_MAX) {
		snprintf(why, whylen,
			 "garbage on the channel: %02x %02x %02x %02x ... (magic 0x%08x, version %u, "
			 "type %u, length %u, head check %s)",
			 r->buf[0], r->buf[1], r->buf[2], r->buf[3], head->magic, head->version,
			 head->type, head->len, head->head_check == head_check(head) ? "right" : "wrong");
		return HCF_NMSG_GARBAGE;
	}
	if (r->len < sizeof(*head) + head->len)
		return HCF_NMSG_NEED;
	const uint8_t *p = r->buf + sizeof(*head);
	if (payload_check(p, head->len) != head->check) {
		snprintf(why, whylen, "a %s message of %u bytes whose check is wrong (a torn or garbled "
				      "message)", hcf_nmsg_type_name(head->type), head->len);
		return HCF_NMSG_GARBAGE;
	}
	*payload = p;
	return HCF_NMSG_OK;
}

void hcf_nmsg_drop(struct hcf_nmsg_reader *r, const struct hcf_nmsg_head *head)
{
	size_t n = sizeof(*head) + head->len;
	if (n > r->len)
		n = r->len;
	memmove(r->buf, r->buf + n, r->len - n);
	r->len -= n;
}

void hcf_nmsg_reader_free(struct hcf_nmsg_reader *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

const char *hcf_nmsg_type_name(uint32_t type)
{
	static const char *const names[HCF_NM_TYPES] = {
		[HCF_NM_HELLO] = "hello", [HCF_NM_OPEN] = "open",   [HCF_NM_OPENED] = "opened",
		[HCF_NM_RUN] = "run",     [HCF_NM_RESULT] = "result", [HCF_NM_RESET] = "reset",
		[HCF_NM_RAW] = "raw",     [HCF_NM_EMPTY] = "empty", [HCF_NM_DONE] = "done",
		[HCF_NM_ERROR] = "error",
	};
	return type < HCF_NM_TYPES && names[type] ? names[type] : "unknown";
}

/* ---- target info ------------------------------------------------------------ */

void hcf_nested_put_counts(struct hcf_wbuf *w, const struct hcf_target_info *ti)
{
	hcf_wbuf_u64(w, ti->resets);
	hcf_wbuf_u64(w, ti->pages_restored);
	hcf_wbuf_u64(w, ti->restores);
	hcf_wbuf_u64(w, ti->restores_failed);
	hcf_wbuf_u64(w, ti->rebuilds);
}

void hcf_nested_get_counts(struct hcf_rbuf *r, struct hcf_target_info *ti)
{
	ti->resets = hcf_rbuf_u64(r);
	ti->pages_restored = hcf_rbuf_u64(r);
	ti->restores = hcf_rbuf_u64(r);
	ti->restores_failed = hcf_rbuf_u64(r);
	ti->rebuilds = hcf_rbuf_u64(r);
}

void hcf_nested_put_info(struct hcf_wbuf *w, const struct hcf_target_info *ti)
{
	hcf_wbuf_str(w, ti->target);
	hcf_wbuf_str(w, ti->hypervisor);
	hcf_wbuf_str(w, ti->cpu_vendor);
	hcf_wbuf_str(w, ti->hv_signature);
	hcf_wbuf_u8(w, ti->vec_ok);
	hcf_wbuf_u8(w, ti->dirty_log);
	hcf_wbuf_str(w, ti->facts);
	hcf_wbuf_u64(w, ti->rflags_captured);
	hcf_wbuf_str(w, ti->notes);
	hcf_nested_put_counts(w, ti);
}

void hcf_nested_get_info(struct hcf_rbuf *r, struct hcf_target_info *ti)
{
	hcf_rbuf_str(r, ti->target, sizeof(ti->target));
	hcf_rbuf_str(r, ti->hypervisor, sizeof(ti->hypervisor));
	hcf_rbuf_str(r, ti->cpu_vendor, sizeof(ti->cpu_vendor));
	hcf_rbuf_str(r, ti->hv_signature, sizeof(ti->hv_signature));
	ti->vec_ok = hcf_rbuf_u8(r) != 0;
	ti->dirty_log = hcf_rbuf_u8(r) != 0;
	hcf_rbuf_str(r, ti->facts, sizeof(ti->facts));
	ti->rflags_captured = hcf_rbuf_u64(r);
	hcf_rbuf_str(r, ti->notes, sizeof(ti->notes));
	hcf_nested_get_counts(r, ti);
}

/* ---- results ---------------------------------------------------------------- */

enum { DETAIL_NONE = 0, DETAIL_PROGRAM, DETAIL_TEXT };

/*
 * A call's detail lives as long as its result; the targets point it at
 * literals. Decoded ones are kept here for the life of the process: the
 * runner's literals are few, and a runner that sends endless new ones gets
 * one line for all the rest.
 */
#define DETAILS_KEPT 256
static const char *keep_detail(const char *s)
{
	static char *kept[DETAILS_KEPT];
	static size_t nkept;
	for (size_t i = 0; i < nkept; i++)
		if (!strcmp(kept[i], s))
			return kept[i];
	if (nkept == DETAILS_KEPT)
		return "(a call detail from the runner, not kept: too many distinct ones)";
	kept[nkept] = hcf_xstrdup(s);
	return kept[nkept++];
}

/*
 * Registers as a difference: a mask of those that differ from ref, then
 * their values. A call's registers before it differ from the previous
 * call's in the few it sets; after it, from before it in the few the call
 * changed: a result crosses the serial line in a tenth of the bytes.
 */
static void put_regs(struct hcf_wbuf *w, const uint64_t *cur, const uint64_t *ref)
{
	uint32_t mask = 0;
	for (unsigned g = 0; g < HCF_NGPR; g++)
		if (cur[g] != ref[g])
			mask |= 1u << g;
	hcf_wbuf_u32(w, mask);
	for (unsigned g = 0; g < HCF_NGPR; g++)
		if (mask >> g & 1)
			hcf_wbuf_u64(w, cur[g]);
}

static void get_regs(struct hcf_rbuf *r, uint64_t *cur, const uint64_t *ref)
{
	uint32_t mask = hcf_rbuf_u32(r);
	if (mask >> HCF_NGPR)
		hcf_rbuf_fail(r, "a register mask naming registers that do not exist");
	for (unsigned g = 0; g < HCF_NGPR; g++)
		cur[g] = mask >> g & 1 ? hcf_rbuf_u64(r) : ref[g];
}

/* The call's other numbers, most of them zero: a mask, then the others. */
#define NSCALARS 7
static void call_scalars(struct hcf_call_result *cr, uint64_t *v[NSCALARS])
{
	v[0] = &cr->rflags_before;
	v[1] = &cr->rflags_after;
	v[2] = &cr->error_code;
	v[3] = &cr->fault_rip;
	v[4] = &cr->cr2;
	v[5] = &cr->tsc_delta;
	v[6] = &cr->lost_rip;
}

static void put_call(struct hcf_wbuf *w, const struct hcf_prog_result *res,
		     const struct hcf_call_result *cr, const uint64_t *prev_before)
{
	hcf_wbuf_u8(w, (uint8_t)cr->outcome);
	hcf_wbuf_u8(w, (uint8_t)cr->lost_why);
	hcf_wbuf_u8(w, cr->vector);
	hcf_wbuf_u8(w, cr->has_lost_rip);
	put_regs(w, cr->before, prev_before);
	put_regs(w, cr->after, cr->before);
	uint64_t *v[NSCALARS];
	call_scalars((struct hcf_call_result *)cr, v);
	uint8_t mask = 0;
	for (unsigned i = 0; i < NSCALARS; i++)
		if (*v[i])
			mask |= (uint8_t)(1u << i);
	hcf_wbuf_u8(w, mask);
	for (unsigned i = 0; i < NSCALARS; i++)
		if (mask >> i & 1)
			hcf_wbuf_u64(w, *v[i]);
	if (!cr->detail) {
		hcf_wbuf_u8(w, DETAIL_NONE);
	} else if (cr->detail == res->detail) {
		hcf_wbuf_u8(w, DETAIL_PROGRAM);
	} else {
		hcf_wbuf_u8(w, DETAIL_TEXT);
		hcf_wbuf_str(w, cr->detail);
	}
	bool vec = cr->has_vec && cr->vec;
	hcf_wbuf_u8(w, vec);
	if (vec) {
		hcf_wbuf_bytes(w, &cr->vec->before, sizeof(cr->vec->before));
		hcf_wbuf_bytes(w, &cr->vec->after, sizeof(cr->vec->after));
	}
}

void hcf_nested_put_result(struct hcf_wbuf *w, const struct hcf_prog_result *res)
{
	hcf_wbuf_u64(w, res->ncalls);
	hcf_wbuf_u64(w, res->ndone);
	hcf_wbuf_u32(w, res->liveness);
	hcf_wbuf_str(w, res->detail);
	hcf_wbuf_u8(w, res->guard_byte);
	hcf_wbuf_f64(w, res->seconds);
	static const uint64_t zero[HCF_NGPR];
	for (size_t i = 0; i < res->ncalls; i++)
		put_call(w, res, &res->calls[i], i ? res->calls[i - 1].before : zero);
	hcf_wbuf_u64(w, res->nbufs);
	for (size_t b = 0; b < res->nbufs; b++) {
		const struct hcf_buf_after *ba = &res->bufs[b];
		hcf_wbuf_u64(w, ba->gva);
		hcf_wbuf_u32(w, ba->size);
		hcf_wbuf_u8(w, ba->valid);
		hcf_wbuf_blob(w, ba->bytes, ba->valid && ba->bytes ? (size_t)ba->size + 2 * HCF_BUF_GUARD : 0);
	}
	hcf_wbuf_u8(w, res->pages_checked);
	hcf_wbuf_u64(w, res->pages_found);
	hcf_wbuf_u64(w, res->npages);
	for (size_t i = 0; i < res->npages; i++) {
		const struct hcf_page_change *pc = &res->pages[i];
		hcf_wbuf_u64(w, pc->gpa);
		hcf_wbuf_u8(w, pc->agent_writes);
		hcf_wbuf_u32(w, pc->nchanged);
		hcf_wbuf_bytes(w, pc->changed, sizeof(pc->changed));
		hcf_wbuf_bytes(w, pc->was, sizeof(pc->was));
		hcf_wbuf_bytes(w, pc->now, sizeof(pc->now));
	}
}

static void get_call(struct hcf_rbuf *r, struct hcf_prog_result *res, size_t i)
{
	struct hcf_call_result *cr = &res->calls[i];
	static const uint64_t zero[HCF_NGPR];
	hcf_call_result_init(cr, zero);
	uint8_t outcome = hcf_rbuf_u8(r), why = hcf_rbuf_u8(r);
	if (outcome >= HCF_CO_COUNT || why >= HCF_LIVE_COUNT)
		hcf_rbuf_fail(r, "a call's outcome or loss out of range");
	cr->outcome = (enum hcf_call_outcome)outcome;
	cr->lost_why = (enum hcf_liveness)why;
	cr->vector = hcf_rbuf_u8(r);
	cr->has_lost_rip = hcf_rbuf_u8(r) != 0;
	get_regs(r, cr->before, i ? res->calls[i - 1].before : zero);
	get_regs(r, cr->after, cr->before);
	uint64_t *v[NSCALARS];
	call_scalars(cr, v);
	uint8_t mask = hcf_rbuf_u8(r);
	if (mask >> NSCALARS)
		hcf_rbuf_fail(r, "a mask of a call's numbers out of range");
	for (unsigned k = 0; k < NSCALARS; k++)
		*v[k] = mask >> k & 1 ? hcf_rbuf_u64(r) : 0;
	switch (hcf_rbuf_u8(r)) {
	case DETAIL_NONE:
		break;
	case DETAIL_PROGRAM:
		cr->detail = res->detail;
		break;
	case DETAIL_TEXT: {
		char text[256];
		hcf_rbuf_str(r, text, sizeof(text));
		if (!r->bad)
			cr->detail = keep_detail(text);
		break;
	}
	default:
		hcf_rbuf_fail(r, "a call's detail of an unknown kind");
	}
	if (hcf_rbuf_u8(r) && !r->bad) {
		struct hcf_call_vec *vs = hcf_result_vec_slot(res, i);
		hcf_rbuf_bytes(r, &vs->before, sizeof(vs->before));
		hcf_rbuf_bytes(r, &vs->after, sizeof(vs->after));
		cr->has_vec = true;
		cr->vec = vs;
	}
}

int hcf_nested_get_result(struct hcf_rbuf *r, const struct hcf_prog *p, struct hcf_prog_result *res)
{
	hcf_result_reserve(res, p->ncalls);
	uint64_t ncalls = hcf_rbuf_u64(r), ndone = hcf_rbuf_u64(r);
	uint32_t liveness = hcf_rbuf_u32(r);
	if (ncalls != p->ncalls || ndone > ncalls || liveness >= HCF_LIVE_COUNT)
		hcf_rbuf_fail(r, "call counts or liveness that do not fit the program");
	res->ndone = (size_t)ndone;
	res->liveness = (enum hcf_liveness)liveness;
	hcf_rbuf_str(r, res->detail, sizeof(res->detail));
	res->guard_byte = hcf_rbuf_u8(r);
	res->seconds = hcf_rbuf_f64(r);
	for (size_t i = 0; i < p->ncalls && !r->bad; i++)
		get_call(r, res, i);
	uint64_t nbufs = hcf_rbuf_u64(r);
	if (!r->bad && nbufs != p->nbufs)
		hcf_rbuf_fail(r, "a buffer count that is not the program's");
	for (size_t b = 0; b < p->nbufs && !r->bad; b++) {
		uint64_t gva = hcf_rbuf_u64(r);
		uint32_t size = hcf_rbuf_u32(r);
		bool valid = hcf_rbuf_u8(r) != 0;
		size_t n;
		const uint8_t *bytes = hcf_rbuf_blob(r, (size_t)p->bufs[b].size + 2 * HCF_BUF_GUARD, &n);
		if (r->bad)
			break;
		if (size != p->bufs[b].size || (valid && n != (size_t)size + 2 * HCF_BUF_GUARD)) {
			hcf_rbuf_fail(r, "a buffer whose size is not the program's");
			break;
		}
		uint8_t *dst = hcf_result_buf_storage(res, b, size, gva);
		if (valid)
			memcpy(dst, bytes, n);
		res->bufs[b].valid = valid;
	}
	res->nbufs = r->bad ? 0 : p->nbufs;
	res->pages_checked = hcf_rbuf_u8(r) != 0;
	uint64_t found = hcf_rbuf_u64(r), npages = hcf_rbuf_u64(r);
	if (!r->bad && (npages > HCF_MAX_PAGE_CHANGES || found < npages))
		hcf_rbuf_fail(r, "changed-page counts out of range");
	for (size_t i = 0; i < npages && !r->bad; i++) {
		struct hcf_page_change *pc = hcf_result_page_slot(res);
		pc->gpa = hcf_rbuf_u64(r);
		pc->agent_writes = hcf_rbuf_u8(r) != 0;
		uint32_t nchanged = hcf_rbuf_u32(r);
		if (nchanged > 4096)
			hcf_rbuf_fail(r, "a page with more changed bytes than it has");
		pc->nchanged = (uint16_t)nchanged;
		hcf_rbuf_bytes(r, pc->changed, sizeof(pc->changed));
		hcf_rbuf_bytes(r, pc->was, sizeof(pc->was));
		hcf_rbuf_bytes(r, pc->now, sizeof(pc->now));
	}
	res->pages_found = (size_t)found;
	if (r->bad) {
		res->npages = res->pages_found = 0;
		return -1;
	}
	return 0;
}
