/*
 * fuzz_mailbox.c: what the host makes of everything a guest writes, on
 * arbitrary bytes: the real protocol engine (target/engine.c: the boot
 * block, the mailbox header, every result slot, vector state, doorbell
 * events, console bytes) over a channel whose "guest" is the fuzzer, and
 * the oracles judging the results it let through. A hostile or broken
 * hypervisor can write any of it; the host must turn it into verdicts,
 * never a crash.
 *
 * The input: byte 0 picks the spec (abis.list); byte 1 the mode (bit 0: boot
 * first, bit 1: a watchdog of 0 ms, bit 2: rdtsc timing, bit 3: vector
 * capture); byte 2 the length L of the program's bytes (the codec decodes
 * them); then a script the channel plays each time the engine waits: one
 * opcode byte per event, with its operands (see guest_event). An input that
 * runs out is a guest that is lost.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/finding.h"
#include "fuzz_common.h"
#include "oracles/oracle.h"
#include "prog/codec.h"
#include "target/engine.h"

struct script {
	const uint8_t *p;
	size_t left;
	struct hcf_gmem mem;
	struct hcf_engine *e;
};

static bool take(struct script *s, void *dst, size_t n)
{
	size_t k = n < s->left ? n : s->left;
	memcpy(dst, s->p, k);
	memset((uint8_t *)dst + k, 0, n - k);
	s->p += k;
	s->left -= k;
	return k == n;
}

static uint8_t byte(struct script *s)
{
	uint8_t b = 0;
	take(s, &b, 1);
	return b;
}

static const struct hcf_gmem *chan_mem(void *ctx)
{
	return &((struct script *)ctx)->mem;
}

static volatile struct hcf_mbox *MB(struct script *s)
{
	return (volatile struct hcf_mbox *)(s->mem.host + HCF_GPA_MBOX);
}

static struct hcf_wire_result *slot(struct script *s, uint32_t i)
{
	return (struct hcf_wire_result *)(s->mem.host + HCF_GPA_MBOX + HCF_MBOX_RESULTS_OFF +
					  (uint64_t)i * sizeof(struct hcf_wire_result));
}

/* Slots the fuzzer writes: the codec's programs have at most this many calls. */
#define SLOTS HCF_CODEC_MAX_CALLS

/* A DONE doorbell: the slots the record names, raw, then the fixes its flags
 * ask for, so that well-formed results are as easy to reach as garbage. */
static void done_record(struct script *s)
{
	volatile struct hcf_mbox *mb = MB(s);
	uint8_t flags = byte(s), nw = byte(s) % 8;
	for (uint8_t k = 0; k < nw; k++) {
		uint8_t at = byte(s);
		if (at & 0x80) {
			uint8_t *v = s->mem.host + HCF_GPA_MBOX + HCF_MBOX_VEC_OFF +
				     (uint64_t)(at % SLOTS) * sizeof(struct hcf_wire_vec);
			take(s, v, sizeof(struct hcf_wire_vec));
		} else {
			take(s, slot(s, at % SLOTS), sizeof(struct hcf_wire_result));
		}
	}
	uint32_t n = mb->ncalls < SLOTS ? mb->ncalls : SLOTS;
	for (uint32_t i = 0; i < n; i++) {
		struct hcf_wire_result *w = slot(s, i);
		if (flags & 1)
			w->seq = mb->seq ^ i;
		if (flags & 2)
			w->outcome = (w->outcome & 1) ? HCF_WO_RETURNED : HCF_WO_EXCEPTION;
		if (flags & 4)
			w->vector &= 0xff;
	}
	if (flags & 8)
		mb->ack_seq = mb->seq;
	if (flags & 16)
		mb->ndone = mb->ncalls;
}

/* What the guest did this time the engine waited. */
static void guest_event(void *ctx, unsigned timeout_ms, struct hcf_chan_event *ev)
{
	struct script *s = ctx;
	if (!s->left) {
		ev->kind = HCF_CEV_LOST;
		ev->lost = HCF_LIVE_SHUTDOWN;
		snprintf(ev->detail, sizeof(ev->detail), "the script ended");
		return;
	}
	uint8_t op = byte(s);
	switch (op % 9) {
	case 0:
		done_record(s);
		ev->kind = HCF_CEV_DOORBELL;
		ev->value = HCF_EV_DONE;
		break;
	case 1: {
		volatile struct hcf_mbox *mb = MB(s);
		uint64_t v[4];
		take(s, v, sizeof(v));
		mb->panic_vector = (uint32_t)v[0];
		mb->panic_rip = v[1];
		mb->panic_error_code = v[2];
		mb->panic_cr2 = v[3];
		ev->kind = HCF_CEV_DOORBELL;
		ev->value = HCF_EV_PANIC;
		break;
	}
	case 2:
		ev->kind = HCF_CEV_DOORBELL;
		take(s, &ev->value, sizeof(ev->value));
		break;
	case 3:
		ev->kind = HCF_CEV_CONSOLE;
		ev->value = byte(s);
		break;
	case 4:
		ev->kind = HCF_CEV_TIMEOUT;
		break;
	case 5:
		ev->kind = HCF_CEV_LOST;
		ev->lost = (enum hcf_liveness)(byte(s) % HCF_LIVE_COUNT);
		take(s, ev->detail, sizeof(ev->detail) - 1);
		ev->detail[sizeof(ev->detail) - 1] = '\0';
		break;
	case 6:
		ev->kind = HCF_CEV_HOST_ERROR;
		snprintf(ev->detail, sizeof(ev->detail), "host error");
		break;
	case 7:
		/* READY, after the boot block the agent filled */
		take(s, s->mem.host + HCF_GPA_BOOT, sizeof(struct hcf_boot));
		ev->kind = HCF_CEV_DOORBELL;
		ev->value = HCF_EV_READY;
		break;
	default:
		/* the mailbox header, raw */
		take(s, (void *)MB(s), sizeof(struct hcf_mbox));
		ev->kind = HCF_CEV_DOORBELL;
		ev->value = HCF_EV_DONE;
		break;
	}
}

static void guest_examine(void *ctx, struct hcf_chan_event *ev, bool *has_rip, uint64_t *rip)
{
	struct script *s = ctx;
	uint8_t b = byte(s);
	*has_rip = b & 1;
	take(s, rip, sizeof(*rip));
	if (ev->kind == HCF_CEV_TIMEOUT || ev->lost == HCF_LIVE_HANG)
		ev->lost = (b & 2) ? HCF_LIVE_RUNAWAY : HCF_LIVE_HANG;
}

/* Pages the guest changed: up to 3, anywhere, each with up to 64 bytes
 * changed at an offset of 64 (the rest as the snapshot had it). */
static void guest_pages(void *ctx, struct hcf_prog_result *r, bool with_agent)
{
	struct script *s = ctx;
	static const uint8_t was[4096];
	uint8_t now[4096];
	uint8_t n = byte(s) % 4;
	r->pages_checked = true;
	for (uint8_t i = 0; i < n; i++) {
		uint32_t page;
		take(s, &page, sizeof(page));
		memset(now, 0, sizeof(now));
		uint8_t at = byte(s);
		take(s, now + (at % 64) * 64, 64);
		hcf_result_note_page(r, (uint64_t)(page % (HCF_GUEST_MEM_SIZE / 4096)) * 4096, was, now,
				     with_agent && (page >> 31));
	}
}

static const struct hcf_channel_ops guest_ops = {
	.mem = chan_mem,
	.wait = guest_event,
	.examine = guest_examine,
	.changed_pages = guest_pages,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint8_t *ram;
	if (!ram)
		ram = calloc(1, HCF_GUEST_MEM_SIZE);
	const struct hcf_abi *abi = hcf_fuzz_pick_abi(&data, &len);
	if (!abi || len < 2)
		return 0;
	uint8_t mode = data[0], plen = data[1];
	data += 2;
	len -= 2;
	if (plen > len)
		plen = (uint8_t)len;

	/* what an earlier input left: the boot block, the mailbox's header and the
	 * slots this one can reach (the arena is written whole by the layout) */
	memset(ram + HCF_GPA_BOOT, 0, 4096);
	memset(ram + HCF_GPA_MBOX, 0, HCF_MBOX_CALLS_OFF + SLOTS * sizeof(struct hcf_wire_call));
	memset(ram + HCF_GPA_MBOX + HCF_MBOX_RESULTS_OFF, 0, SLOTS * sizeof(struct hcf_wire_result));
	memset(ram + HCF_GPA_MBOX + HCF_MBOX_VEC_OFF, 0, SLOTS * sizeof(struct hcf_wire_vec));

	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	hcf_prog_decode(&p, abi, data, plen);
	struct script s = { .p = data + plen, .left = len - plen,
			    .mem = { .host = ram, .size = HCF_GUEST_MEM_SIZE } };
	struct hcf_engine e;
	hcf_engine_init(&e, (struct hcf_channel){ &guest_ops, &s }, mode & 2 ? 0 : 60000);
	s.e = &e;
	e.wire_xport = HCF_WX_VMCALL;
	e.timing = mode & 4;
	e.vec_ok = mode & 8;
	hcf_engine_mbox_init(&e);

	struct hcf_target_info ti;
	memset(&ti, 0, sizeof(ti));
	snprintf(ti.target, sizeof(ti.target), "fuzz");
	snprintf(ti.hypervisor, sizeof(ti.hypervisor), "fuzz");
	ti.vec_ok = e.vec_ok;
	char err[256];
	if (mode & 1) {
		struct hcf_boot probe;
		if (hcf_engine_boot(&e, 60000, &probe, err, sizeof(err)) != 0) {
			hcf_prog_free(&p);
			return 0;
		}
		hcf_engine_take_ids(&ti, &probe);
		if (strnlen(ti.hv_signature, sizeof(ti.hv_signature)) == sizeof(ti.hv_signature))
			hcf_fuzz_fail("the hypervisor's signature is not terminated");
	}

	struct hcf_prog_result r;
	memset(&r, 0, sizeof(r));
	if (hcf_result_init(&r, p.ncalls) != 0)
		abort();
	bool lost = false;
	int rc = hcf_engine_run(&e, &p, &r, &lost);
	if (r.ncalls != p.ncalls)
		hcf_fuzz_fail("%zu results for %zu calls", r.ncalls, p.ncalls);
	if (rc == 0 && p.ncalls) {
		static struct hcf_call_verdict cvs[HCF_CODEC_MAX_CALLS];
		hcf_oracles_check(abi, &p, &r, NULL, &ti, cvs);
		struct hcf_finding_sig sigs[16];
		hcf_finding_sigs(abi, &p, &r, cvs, sigs, 16);
	}
	hcf_result_free(&r);
	hcf_prog_free(&p);
	return 0;
}
