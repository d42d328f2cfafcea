/* engine.c: batches of calls to the guest agent over a channel, and their results. */
#include "spec/transport.h"
#include "target/engine.h"
#include "util/clock.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/interrupt.h"

static const struct hcf_gmem *MEM(const struct hcf_engine *e)
{
	return e->ch.ops->mem(e->ch.ctx);
}

static volatile struct hcf_mbox *mbox(const struct hcf_engine *e)
{
	return hcf_gmem_at(MEM(e), hcf_gpa(HCF_GPA_MBOX), sizeof(struct hcf_mbox));
}

static void wait_event(struct hcf_engine *e, uint64_t timeout_ns, struct hcf_chan_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	e->ch.ops->wait(e->ch.ctx, (unsigned)(timeout_ns / 1000000ull) + 1, ev);
}

static void console_byte(struct hcf_engine *e, uint8_t c)
{
	if (e->console_len + 1 >= sizeof(e->console)) {
		memmove(e->console, e->console + 64, e->console_len - 64);
		e->console_len -= 64;
	}
	e->console[e->console_len++] = (char)(c >= 0x20 && c < 0x7f ? c : (c == '\n' ? ' ' : '.'));
	e->console[e->console_len] = '\0';
}

void hcf_engine_init(struct hcf_engine *e, struct hcf_channel ch, unsigned watchdog_ms)
{
	memset(e, 0, sizeof(*e));
	e->ch = ch;
	e->watchdog_ms = watchdog_ms;
	e->wire_xport = HCF_WX_NONE;
	/* what the agent loads into XMM0-15 before a call that captures them:
	 * a value no call leaves behind by chance */
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 16; j++)
			e->xmm_sentinel[i][j] = (uint8_t)(0xc0 + i) ^ (uint8_t)(j * 0x11);
}

void hcf_engine_mbox_init(struct hcf_engine *e)
{
	volatile struct hcf_mbox *mb = mbox(e);
	if (!mb)
		return;
	memset((void *)mb, 0, sizeof(*mb));
	mb->magic = HCF_MBOX_MAGIC;
	mb->version = HCF_PROTO_VERSION;
	memcpy((void *)mb->xmm_sentinel, e->xmm_sentinel, sizeof(e->xmm_sentinel));
	e->console_len = 0;
	e->console[0] = '\0';
}

/* A name the agent wrote, made printable. */
static void printable(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] && (s[i] < 0x20 || s[i] > 0x7e))
			s[i] = '?';
}

/*
 * The command's seq, written last: under an external hypervisor the agent
 * runs while the host writes, polling seq, so everything the command says
 * (calls, counts, the cleared acknowledgement) must be in memory before the
 * new seq is. On x86 stores are seen in program order; the fence keeps the
 * compiler from moving the plain stores of the calls after this one.
 */
static void publish(volatile struct hcf_mbox *mb, uint64_t seq)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
	mb->seq = seq;
}

/* One command without calls; 0 when the agent acknowledged it in time. */
static int simple_command(struct hcf_engine *e, uint32_t cmd, struct hcf_chan_event *ev)
{
	volatile struct hcf_mbox *mb = mbox(e);
	if (!mb)
		return -1;
	uint64_t seq = ++e->seq;
	mb->cmd = cmd;
	publish(mb, seq);
	for (;;) {
		wait_event(e, (uint64_t)e->watchdog_ms * 1000000ull, ev);
		if (ev->kind == HCF_CEV_CONSOLE) {
			console_byte(e, (uint8_t)ev->value);
			continue;
		}
		return ev->kind == HCF_CEV_DOORBELL && ev->value == HCF_EV_DONE && mb->ack_seq == seq ?
			       0 :
			       -1;
	}
}

/* The agent's report on the rearm steps of command seq; false when it did
 * not get through them. */
static bool rearm_report(struct hcf_engine *e, uint64_t seq, struct hcf_rearm *out)
{
	volatile struct hcf_mbox *mb = mbox(e);
	memset(out, 0, sizeof(*out));
	if (!mb || mb->rearm_seq != seq)
		return false;
	out->faults = mb->rearm_faults;
	out->cs = mb->rearm_cs;
	out->rsp = mb->rearm_rsp;
	return true;
}

int hcf_engine_boot(struct hcf_engine *e, unsigned timeout_ms, struct hcf_boot *probe, char *err,
		    size_t errlen)
{
	uint64_t deadline = hcf_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		uint64_t now = hcf_now_ns();
		if (now >= deadline) {
			snprintf(err, errlen, "the agent did not boot within %u ms", timeout_ms);
			return -1;
		}
		struct hcf_chan_event ev;
		wait_event(e, deadline - now, &ev);
		if (ev.kind == HCF_CEV_CONSOLE) {
			console_byte(e, (uint8_t)ev.value);
			continue;
		}
		if (ev.kind == HCF_CEV_DOORBELL && ev.value == HCF_EV_READY)
			break;
		snprintf(err, errlen, "agent boot failed: %s%s%s",
			 ev.kind == HCF_CEV_DOORBELL ? "an unexpected doorbell" : ev.detail,
			 e->console_len ? "; agent said: " : "", e->console);
		return -1;
	}
	/* The probe block is guest-written: copy and terminate before use. */
	if (hcf_gmem_read(MEM(e), hcf_gpa(HCF_GPA_BOOT), probe, sizeof(*probe)) != 0) {
		snprintf(err, errlen, "the boot block is outside guest memory");
		return -1;
	}
	printable(probe->cpu_vendor, sizeof(probe->cpu_vendor));
	printable(probe->hv_signature, sizeof(probe->hv_signature));
	/*
	 * The agent is parked where it always is between programs: at its DONE
	 * doorbell after a command. Its code is deterministic, so its registers
	 * there are the same every time, and every call loads all registers
	 * itself: a channel's snapshot taken now makes a reset a memory copy.
	 */
	struct hcf_chan_event ev;
	if (simple_command(e, HCF_CMD_EMPTY, &ev) != 0) {
		snprintf(err, errlen, "the agent did not answer its first command: %s", ev.detail);
		return -1;
	}
	return 0;
}

void hcf_engine_take_ids(struct hcf_target_info *ti, const struct hcf_boot *probe)
{
	memcpy(ti->cpu_vendor, probe->cpu_vendor, 12);
	ti->cpu_vendor[12] = '\0';
	memcpy(ti->hv_signature, probe->hv_signature, 12);
	ti->hv_signature[12] = '\0';
	memcpy(ti->hv_cpuid, probe->hv_leaf, sizeof(ti->hv_cpuid));
	ti->hv_cpuid_known = true;
	ti->ndevices = probe->ndevices < HCF_MAX_DEVICES ? probe->ndevices : HCF_MAX_DEVICES;
	ti->xen_wake_port = (probe->flags & HCF_BOOT_XEN_WAKE) ? probe->xen_wake_port : 0;
	memcpy(ti->devices, probe->devices, sizeof(ti->devices));
	for (size_t i = 0; i < HCF_MAX_DEVICES; i++) /* the guest's bytes: a C string */
		ti->devices[i].name[sizeof(ti->devices[i].name) - 1] = '\0';
}

void hcf_engine_not_run(const struct hcf_prog *p, struct hcf_prog_result *r, const char *why)
{
	hcf_result_reserve(r, p->ncalls);
	for (size_t i = 0; i < p->ncalls; i++)
		hcf_call_result_init(&r->calls[i], p->calls[i].gpr);
	r->ncalls = p->ncalls;
	r->liveness = HCF_LIVE_HARNESS;
	snprintf(r->detail, sizeof(r->detail), "%s", why);
}

enum hcf_frame_status hcf_frame_parse(const uint8_t *buf, size_t len, struct hcf_frame *f, char *why,
				      size_t whylen)
{
	if (len < sizeof(*f))
		return HCF_FRAME_NEED;
	memcpy(f, buf, sizeof(*f));
	bool check_ok = f->check == hcf_frame_check(f);
	if (f->magic == HCF_FRAME_MAGIC && f->version == HCF_FRAME_VERSION && check_ok)
		return HCF_FRAME_OK;
	snprintf(why, whylen,
		 "garbage on the doorbell: %02x %02x %02x %02x ... (magic 0x%08" PRIx32 ", version %" PRIu32
		 ", check %s)",
		 buf[0], buf[1], buf[2], buf[3], f->magic, f->version, check_ok ? "right" : "wrong");
	return HCF_FRAME_GARBAGE;
}

void hcf_stream_wait(const struct hcf_stream *s, unsigned timeout_ms, struct hcf_chan_event *ev)
{
	uint64_t deadline = hcf_now_ns() + (uint64_t)timeout_ms * 1000000u;
	for (;;) {
		if (s->take(s->ctx, ev) != 0)
			return;
		if (hcf_interrupted()) {
			ev->kind = HCF_CEV_INTERRUPTED;
			return;
		}
		uint64_t now = hcf_now_ns();
		if (now >= deadline) {
			ev->kind = HCF_CEV_TIMEOUT;
			return;
		}
		/* at most 100 ms at a time, so that an interrupt is seen */
		uint64_t left_ms = (deadline - now + 999999u) / 1000000u;
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		int rc = poll(&pfd, 1, left_ms > 100 ? 100 : (int)left_ms);
		if (rc < 0 && errno != EINTR) {
			ev->kind = HCF_CEV_HOST_ERROR;
			snprintf(ev->detail, sizeof(ev->detail), "poll: %s", strerror(errno));
			return;
		}
		if (rc <= 0)
			continue;
		ssize_t n = read(s->fd, s->buf + *s->nbuf, s->cap - *s->nbuf);
		if (n > 0) {
			*s->nbuf += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		s->ended(s->ctx, ev);
		return;
	}
}

const char *hcf_engine_refusal(const struct hcf_prog *p, const struct hcf_pcall *c)
{
	return hcf_xport_refusal(&p->abi->transport, hcf_pcall_nr(p, c));
}

/* Lay the program's buffers out in the arena with guards (prog/layout.h). */
static int layout_bufs(struct hcf_engine *e, const struct hcf_prog *p)
{
	char err[128];
	if (hcf_layout_place(p, &e->layout, err, sizeof(err)) != 0)
		return -1;
	for (size_t b = 0; b < p->nbufs; b++) {
		uint64_t total = (uint64_t)p->bufs[b].size + 2 * HCF_BUF_GUARD;
		uint8_t *dst = hcf_gmem_at(MEM(e), hcf_gpa(e->layout.buf_gva[b] - HCF_BUF_GUARD), total);
		if (!dst)
			return -1;
		hcf_layout_image(p, &e->layout, b, dst);
	}
	return 0;
}

static bool wants_vec(const struct hcf_engine *e, const struct hcf_pcall *c)
{
	return c->capture_vec && e->vec_ok;
}

/*
 * The register image the agent loads for call c, into the result's before[]
 * (the host's own copy: the guest may scribble over the mailbox) and into the
 * mailbox slot w. The rest of the result is reset to "not run".
 */
static void marshal(struct hcf_engine *e, const struct hcf_prog *p, const struct hcf_pcall *c,
		    struct hcf_wire_call *w, struct hcf_call_result *cr)
{
	const struct hcf_transport *t = &p->abi->transport;
	uint64_t *g = cr->before, target;
	hcf_layout_call_image(p, &e->layout, (size_t)(c - p->calls), g, &target);
	w->xport = hcf_engine_refusal(p, c) ? HCF_WX_NONE : e->wire_xport;
	w->width = t->width;
	w->vector = t->vector;
	/* judged by what it issues: a number overridden into a blocking one
	 * gets its wake-up event too */
	int opi = hcf_pcall_op(p, c);
	const struct hcf_op *op = opi >= 0 ? &p->abi->ops[opi] : NULL;
	w->flags = (uint8_t)((wants_vec(e, c) ? HCF_CALL_VEC : 0) | (e->timing ? HCF_CALL_TSC : 0) |
			     (op && op->blocks ? HCF_CALL_WAKE : 0));
	w->reserved = 0;
	w->target = target;
	w->rflags = c->rflags & HCF_RFLAGS_LOADABLE;
	memcpy(w->gpr, g, sizeof(w->gpr));
	uint64_t before[HCF_NGPR];
	memcpy(before, g, sizeof(before));
	hcf_call_result_init(cr, before);
}

/* detail must outlive the result: the program result's detail or a literal. */
static void mark_lost(struct hcf_call_result *cr, enum hcf_call_outcome o, enum hcf_liveness why,
		      const char *detail)
{
	cr->outcome = o;
	cr->lost_why = why;
	cr->detail = detail;
	memcpy(cr->after, cr->before, sizeof(cr->after)); /* nothing trustworthy came back */
}

static uint64_t slot_gpa(uint32_t i)
{
	return HCF_GPA_MBOX + HCF_MBOX_RESULTS_OFF + (uint64_t)i * sizeof(struct hcf_wire_result);
}

/* Copy and validate the agent's results for calls [first, first + n). */
static void collect(struct hcf_engine *e, const struct hcf_prog *p, size_t first, uint32_t n,
		    uint64_t seq, struct hcf_prog_result *r)
{
	const struct hcf_gmem *m = MEM(e);
	for (uint32_t i = 0; i < n; i++) {
		struct hcf_call_result *cr = &r->calls[first + i];
		struct hcf_wire_result w;
		if (hcf_gmem_read(m, hcf_gpa(slot_gpa(i)), &w, sizeof(w)) != 0 || w.seq != (seq ^ i) ||
		    (w.outcome != HCF_WO_RETURNED && w.outcome != HCF_WO_EXCEPTION) ||
		    (w.outcome == HCF_WO_EXCEPTION && w.vector > 255)) {
			mark_lost(cr, HCF_CO_BAD_RESULT, HCF_LIVE_PROTOCOL,
				  "the result slot does not hold a fresh, well-formed result");
			continue;
		}
		const char *refused = hcf_engine_refusal(p, &p->calls[first + i]);
		if (refused) {
			/* the agent ran no instruction: there is nothing to judge */
			cr->outcome = HCF_CO_NOT_RUN;
			cr->detail = refused;
			memcpy(cr->after, cr->before, sizeof(cr->after));
			continue;
		}
		cr->before[HCF_RSP] = w.rsp_before;
		memcpy(cr->after, w.gpr, sizeof(cr->after));
		cr->rflags_before = w.rflags_before;
		cr->rflags_after = w.rflags_after;
		cr->tsc_delta = w.tsc_delta;
		if (w.outcome == HCF_WO_EXCEPTION) {
			cr->outcome = HCF_CO_EXCEPTION;
			cr->vector = (uint8_t)w.vector;
			cr->error_code = w.error_code;
			cr->fault_rip = w.fault_rip;
			cr->cr2 = w.cr2;
		} else {
			cr->outcome = HCF_CO_RETURNED;
		}
		if (wants_vec(e, &p->calls[first + i])) {
			uint64_t vat = HCF_GPA_MBOX + HCF_MBOX_VEC_OFF + (uint64_t)i * sizeof(struct hcf_wire_vec);
			struct hcf_call_vec *cv = hcf_result_vec_slot(r, first + i);
			if (cv && hcf_gmem_read(m, hcf_gpa(vat), &cv->after, sizeof(cv->after)) == 0) {
				memcpy(&cv->before, e->xmm_sentinel, sizeof(cv->before));
				cr->vec = cv;
				cr->has_vec = true;
			}
		}
	}
}

/*
 * How many calls of the batch finished, from the result slots themselves:
 * the agent writes each slot's seq tag right after its call (its ndone moves
 * only every 64 calls). nd is a lower bound.
 */
static uint32_t calls_finished(struct hcf_engine *e, uint64_t seq, uint32_t nd, uint32_t n)
{
	const struct hcf_gmem *m = MEM(e);
	while (nd < n) {
		uint64_t tag;
		uint64_t at = slot_gpa(nd) + offsetof(struct hcf_wire_result, seq);
		if (hcf_gmem_read(m, hcf_gpa(at), &tag, sizeof(tag)) != 0 || tag != (seq ^ nd))
			break;
		nd++;
	}
	return nd;
}

/* Where the batch ends: results up to nd collected, call nd marked as the one
 * the guest was lost in (how and why, where when has_rip), the program's
 * liveness set. ev was examined already. */
static void end_lost_seen(struct hcf_engine *e, const struct hcf_prog *p, size_t first, uint32_t nd,
			  uint64_t seq, struct hcf_prog_result *r, struct hcf_chan_event *ev,
			  enum hcf_call_outcome outcome, bool has_rip, uint64_t rip)
{
	collect(e, p, first, nd, seq, r);
	/* A guest that runs, but never comes back (runaway), or one the
	 * hypervisor says it ended: lost, not hung */
	if (outcome == HCF_CO_HANG && ev->lost != HCF_LIVE_HANG)
		outcome = HCF_CO_GUEST_LOST;
	snprintf(r->detail, sizeof(r->detail), "%s%s%s", ev->detail,
		 e->console_len ? "; agent said: " : "", e->console);
	if (first + nd < r->ncalls) {
		struct hcf_call_result *cr = &r->calls[first + nd];
		mark_lost(cr, outcome, ev->lost, r->detail);
		/* where it was: evidence, and what a known anomaly may name */
		cr->has_lost_rip = has_rip;
		cr->lost_rip = has_rip ? rip : 0;
	}
	r->liveness = ev->lost;
}

/* As end_lost_seen, the channel asked first where the guest is. */
static void end_lost(struct hcf_engine *e, const struct hcf_prog *p, size_t first, uint32_t nd,
		     uint64_t seq, struct hcf_prog_result *r, struct hcf_chan_event *ev,
		     enum hcf_call_outcome outcome)
{
	bool has_rip = false;
	uint64_t rip = 0;
	if (e->ch.ops->examine && ev->kind != HCF_CEV_DOORBELL)
		e->ch.ops->examine(e->ch.ctx, ev, &has_rip, &rip);
	end_lost_seen(e, p, first, nd, seq, r, ev, outcome, has_rip, rip);
}

/*
 * How long a guest that a call handed over to the program's code (the
 * spec's hands_over, for the call's inputs: an event return to a context the
 * program describes) runs before the channel is asked where it is. Such a
 * call never comes back by design, so the watchdog's seconds would only be
 * spent watching the program's own bytes run. Only a runaway is judged this
 * early (the vCPU outside the agent's code and still executing: the
 * program's code, not the call); a vCPU in the agent's code or frozen (a
 * call stuck in the hypervisor) is left to the full watchdog, so a HANG
 * means what it always meant.
 */
#define HANDOVER_LOOK_MS 20u

/* The first call of the batch [first, first + n) from index from on that
 * hands the guest over to the program's code, as marshalled
 * (r->calls[].before): its index in the batch, or UINT32_MAX (also where the
 * channel cannot say where a guest is). */
static uint32_t next_handover(const struct hcf_engine *e, const struct hcf_prog *p, size_t first,
			      uint32_t from, uint32_t n, const struct hcf_prog_result *r)
{
	if (!e->ch.ops->examine)
		return UINT32_MAX;
	for (uint32_t i = from; i < n && first + i < r->ncalls; i++) {
		const struct hcf_op *op = hcf_prog_call_op(p, first + i);
		if (op && op->hands_over && hcf_op_hands_over(op, r->calls[first + i].before))
			return i;
	}
	return UINT32_MAX;
}

/*
 * Run one mailbox batch: calls [first, first + n) of p. Returns the number
 * of calls finished; when the guest is lost, marks the call it was in and
 * returns with *lost set; *harness_err when the channel failed.
 */
static size_t run_batch(struct hcf_engine *e, const struct hcf_prog *p, size_t first, uint32_t n,
			struct hcf_prog_result *r, bool *lost, int *harness_err)
{
	struct hcf_wire_call *wc = hcf_gmem_at(MEM(e), hcf_gpa(HCF_GPA_MBOX + HCF_MBOX_CALLS_OFF),
					      (uint64_t)n * sizeof(struct hcf_wire_call));
	volatile struct hcf_mbox *mb = mbox(e);
	*lost = false;
	*harness_err = 0;
	if (!wc || !mb) {
		*harness_err = 1;
		return 0;
	}
	/* the batch's watchdog: the run's, or the longest an op of it may take */
	unsigned watchdog_ms = e->watchdog_ms;
	for (uint32_t i = 0; i < n; i++) {
		marshal(e, p, &p->calls[first + i], &wc[i], &r->calls[first + i]);
		const struct hcf_op *op = hcf_prog_call_op(p, first + i);
		if (op && op->watchdog_ms > watchdog_ms)
			watchdog_ms = op->watchdog_ms;
	}

	uint64_t seq = ++e->seq;
	mb->cmd = HCF_CMD_BATCH;
	mb->ncalls = n;
	mb->ack_seq = 0;
	mb->ndone = 0;
	mb->rearm_steps = e->rearm_next;
	if (e->rearm_next) {
		e->rearm_next = 0;
		e->rearm_sent = true;
		e->rearm_seq = seq;
	}
	publish(mb, seq);

	/* The watchdog measures progress, calls finished: a guest that keeps
	 * exiting (a device in a loop, repeated HLT) without finishing calls
	 * hangs too. An op the spec says may take longer gets its time. */
	uint32_t done = 0;
	uint64_t last_progress = hcf_now_ns();
	const uint64_t budget = (uint64_t)watchdog_ms * 1000000ull;
	const uint64_t look = (uint64_t)HANDOVER_LOOK_MS * 1000000ull;
	/* The call a look at a handed-over guest is due for. Until it is done,
	 * the wait is cut into looks: the calls before it finish without an
	 * exit, unseen until a wait returns. */
	uint32_t look_at = look < budget ? next_handover(e, p, first, 0, n, r) : UINT32_MAX;
	for (;;) {
		uint64_t now = hcf_now_ns();
		struct hcf_chan_event ev;
		memset(&ev, 0, sizeof(ev));
		if (now - last_progress >= budget) {
			ev.kind = HCF_CEV_TIMEOUT;
		} else {
			uint64_t left = budget - (now - last_progress);
			wait_event(e, look_at != UINT32_MAX && left > look ? look : left, &ev);
		}
		uint32_t nd = calls_finished(e, seq, done, n);
		if (nd != done) {
			done = nd;
			last_progress = hcf_now_ns();
			if (look_at != UINT32_MAX && look_at < done)
				look_at = next_handover(e, p, first, done, n, r);
		}
		switch (ev.kind) {
		case HCF_CEV_CONSOLE:
			console_byte(e, (uint8_t)ev.value);
			continue;
		case HCF_CEV_TIMEOUT:
			if (look_at == done && hcf_now_ns() - last_progress >= look) {
				/* once per call: where is the guest it handed over? */
				look_at = next_handover(e, p, first, done + 1, n, r);
				ev.lost = HCF_LIVE_HANG;
				snprintf(ev.detail, sizeof(ev.detail),
					 "handed over to the program's code, not back within %u ms",
					 HANDOVER_LOOK_MS);
				bool has_rip = false;
				uint64_t rip = 0;
				e->ch.ops->examine(e->ch.ctx, &ev, &has_rip, &rip);
				/* frozen, or in the agent: the watchdog decides; a
				 * runaway, or a loss the look saw, ends the batch */
				if (ev.lost == HCF_LIVE_HANG || ev.lost == HCF_LIVE_OK)
					continue;
				end_lost_seen(e, p, first, done, seq, r, &ev, HCF_CO_HANG, has_rip, rip);
				*lost = true;
				return done;
			}
			if (hcf_now_ns() - last_progress < budget)
				continue; /* calls finished meanwhile, or a look came first */
			ev.lost = HCF_LIVE_HANG;
			snprintf(ev.detail, sizeof(ev.detail), "no progress within %u ms", watchdog_ms);
			end_lost(e, p, first, done, seq, r, &ev, HCF_CO_HANG);
			*lost = true;
			return done;
		case HCF_CEV_DOORBELL:
			if (ev.value == HCF_EV_DONE) {
				uint32_t ndone = mb->ndone;
				if (mb->ack_seq == seq && ndone == n) {
					collect(e, p, first, n, seq, r);
					return n;
				}
				ev.lost = HCF_LIVE_PROTOCOL;
				snprintf(ev.detail, sizeof(ev.detail),
					 "mailbox: ack %llu for batch %llu, %u of %u calls done",
					 (unsigned long long)mb->ack_seq, (unsigned long long)seq, ndone, n);
				end_lost(e, p, first, done, seq, r, &ev, HCF_CO_BAD_RESULT);
				if (first + done < r->ncalls)
					r->calls[first + done].detail =
						"the agent reported a batch it did not finish";
			} else if (ev.value == HCF_EV_PANIC) {
				ev.lost = HCF_LIVE_AGENT_PANIC;
				snprintf(ev.detail, sizeof(ev.detail),
					 "agent panic: vector %u at rip 0x%llx (error 0x%llx, cr2 0x%llx)",
					 mb->panic_vector, (unsigned long long)mb->panic_rip,
					 (unsigned long long)mb->panic_error_code,
					 (unsigned long long)mb->panic_cr2);
				end_lost(e, p, first, done, seq, r, &ev, HCF_CO_GUEST_LOST);
			} else {
				/* READY or garbage: the agent restarted, or lies */
				ev.lost = HCF_LIVE_UNEXPECTED_EXIT;
				snprintf(ev.detail, sizeof(ev.detail),
					 "unexpected doorbell 0x%08x during a batch", ev.value);
				end_lost(e, p, first, done, seq, r, &ev, HCF_CO_GUEST_LOST);
			}
			*lost = true;
			return done;
		case HCF_CEV_LOST:
			end_lost(e, p, first, done, seq, r, &ev, HCF_CO_GUEST_LOST);
			*lost = true;
			return done;
		case HCF_CEV_HOST_ERROR:
		case HCF_CEV_INTERRUPTED:
		default:
			collect(e, p, first, done, seq, r);
			*harness_err = 1;
			r->liveness = HCF_LIVE_HARNESS;
			snprintf(r->detail, sizeof(r->detail), "%s",
				 ev.kind == HCF_CEV_INTERRUPTED ? "interrupted" : ev.detail);
			return done;
		}
	}
}

static void read_bufs(struct hcf_engine *e, const struct hcf_prog *p, struct hcf_prog_result *r)
{
	r->nbufs = p->nbufs;
	r->guard_byte = HCF_GUARD_BYTE;
	for (size_t b = 0; b < p->nbufs; b++) {
		uint32_t total = p->bufs[b].size + 2 * HCF_BUF_GUARD;
		uint8_t *bytes = hcf_result_buf_storage(r, b, p->bufs[b].size, e->layout.buf_gva[b]);
		r->bufs[b].valid = hcf_gmem_read(MEM(e), hcf_gpa(e->layout.buf_gva[b] - HCF_BUF_GUARD),
						 bytes, total) == 0;
	}
}

/* Calls no batch reached: "not run", with the registers the program asked for. */
static void init_unreached(const struct hcf_prog *p, struct hcf_prog_result *r, size_t from)
{
	for (size_t i = from; i < p->ncalls; i++)
		hcf_call_result_init(&r->calls[i], p->calls[i].gpr);
}

int hcf_engine_run(struct hcf_engine *e, const struct hcf_prog *p, struct hcf_prog_result *r,
		   bool *lost)
{
	uint64_t t0 = hcf_now_ns();
	*lost = false;
	e->rearm_sent = e->rearm_done = false;
	hcf_result_reserve(r, p->ncalls);
	if (layout_bufs(e, p) != 0) {
		init_unreached(p, r, 0);
		r->liveness = HCF_LIVE_HARNESS;
		snprintf(r->detail, sizeof(r->detail), "the program's buffers do not fit the arena");
		return -1;
	}
	size_t first = 0;
	int herr = 0;
	while (first < p->ncalls) {
		uint32_t n = (uint32_t)(p->ncalls - first > HCF_MBOX_MAX_CALLS ? HCF_MBOX_MAX_CALLS :
										 p->ncalls - first);
		size_t done = run_batch(e, p, first, n, r, lost, &herr);
		r->ndone = first + done;
		if (*lost || herr) {
			/* the batch's calls after the loss were marshalled, not run */
			for (size_t i = r->ndone; i < first + n; i++)
				if (r->calls[i].outcome == HCF_CO_NOT_RUN)
					memcpy(r->calls[i].after, r->calls[i].before,
					       sizeof(r->calls[i].after));
			first += n;
			break;
		}
		first += n;
	}
	init_unreached(p, r, first);
	if (e->rearm_sent)
		e->rearm_done = rearm_report(e, e->rearm_seq, &e->rearm);
	/* a lost guest's memory is still there to read: its buffers and pages
	 * are judged like any other (the memory oracle), and its own pages are
	 * the evidence of what a call had the hypervisor write */
	if (!herr && e->ch.ops->changed_pages)
		e->ch.ops->changed_pages(e->ch.ctx, r, *lost);
	read_bufs(e, p, r);
	r->seconds = (double)(hcf_now_ns() - t0) / 1e9;
	if (herr) {
		if (r->liveness == HCF_LIVE_OK)
			r->liveness = HCF_LIVE_HARNESS;
		return -1;
	}
	return 0;
}

int hcf_engine_empty(struct hcf_engine *e, double *seconds)
{
	uint64_t t0 = hcf_now_ns();
	struct hcf_chan_event ev;
	int rc = simple_command(e, HCF_CMD_EMPTY, &ev);
	*seconds = (double)(hcf_now_ns() - t0) / 1e9;
	return rc;
}

int hcf_engine_rearm(struct hcf_engine *e, uint32_t steps, struct hcf_rearm *out)
{
	struct hcf_chan_event ev;
	volatile struct hcf_mbox *mb = mbox(e);
	memset(out, 0, sizeof(*out));
	if (!mb)
		return -1;
	mb->rearm_steps = steps;
	if (simple_command(e, HCF_CMD_REARM, &ev) != 0 || !rearm_report(e, e->seq, out))
		return -1;
	return 0;
}

int hcf_engine_raw_loop(struct hcf_engine *e, const struct hcf_prog *p, uint64_t iterations,
			double *seconds)
{
	if (!p->ncalls || layout_bufs(e, p) != 0)
		return -1;
	struct hcf_wire_call *wc = hcf_gmem_at(MEM(e), hcf_gpa(HCF_GPA_MBOX + HCF_MBOX_CALLS_OFF),
					      sizeof(*wc));
	volatile struct hcf_mbox *mb = mbox(e);
	if (!wc || !mb)
		return -1;
	struct hcf_call_result scratch;
	marshal(e, p, &p->calls[0], wc, &scratch);
	wc->flags = 0;
	uint64_t seq = ++e->seq;
	mb->cmd = HCF_CMD_RAW_LOOP;
	mb->raw_iterations = iterations;
	publish(mb, seq);
	uint64_t t0 = hcf_now_ns();
	struct hcf_chan_event ev;
	for (;;) {
		wait_event(e, (uint64_t)e->watchdog_ms * 10 * 1000000ull, &ev);
		if (ev.kind == HCF_CEV_CONSOLE)
			continue;
		break;
	}
	*seconds = (double)(hcf_now_ns() - t0) / 1e9;
	return ev.kind == HCF_CEV_DOORBELL && ev.value == HCF_EV_DONE && mb->ack_seq == seq ? 0 : -1;
}
