/*
 * engine.h: the agent protocol over a channel, for every target that runs
 * the hcfuzz guest agent.
 *
 * The agent (guests/) waits at its doorbell for a command in the mailbox
 * (guests/include/hcf_proto.h); the engine writes batches of calls there,
 * lets the guest run through a channel, reads back and validates every
 * result, and turns whatever ended a batch early into a lost or hung call.
 * What runs the guest is the channel's business: the in-process KVM VMM is
 * one (target_kvm.c); a hypervisor outside this process (QEMU, Xen ...) is
 * another, as long as it can read and write the agent's memory and say what
 * the guest did.
 */
#ifndef HCF_ENGINE_H
#define HCF_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hcf_proto.h"
#include "prog/layout.h"
#include "prog/prog.h"
#include "target/result.h"
#include "target/target.h"
#include "util/liveness.h"
#include "vmm/gmem.h"

/* What a channel reports when the guest stops running for it. */
enum hcf_chan_ev_kind {
	HCF_CEV_DOORBELL = 0,  /* the agent rang the doorbell: value */
	HCF_CEV_CONSOLE,       /* one byte of the agent's debug console: value */
	HCF_CEV_TIMEOUT,       /* nothing within the time asked for */
	HCF_CEV_LOST,          /* the guest is gone: lost says how, detail what was seen */
	HCF_CEV_HOST_ERROR,    /* the channel itself failed (detail) */
	HCF_CEV_INTERRUPTED,   /* the user asked to stop */
};

struct hcf_chan_event {
	enum hcf_chan_ev_kind kind;
	uint32_t value;
	enum hcf_liveness lost;
	char detail[192];
};

/*
 * A channel to a guest running the agent. mem and wait are required; the
 * others are optional (NULL) and make results richer where a channel can.
 */
struct hcf_channel_ops {
	/* The guest's memory as the agent sees it (guest-physical). */
	const struct hcf_gmem *(*mem)(void *ctx);
	/* Let the guest run for at most timeout_ms and say why it stopped.
	 * Exits that are nobody's event (a device access the channel answers,
	 * a halt it resumes) are handled inside. */
	void (*wait)(void *ctx, unsigned timeout_ms, struct hcf_chan_event *ev);
	/* A guest lost or out of time: where it was (*rip, when known), and
	 * for a timeout whether it still executes code of its own (ev->lost
	 * becomes HCF_LIVE_RUNAWAY) or is frozen (HCF_LIVE_HANG). Appends what
	 * it saw to ev->detail. */
	void (*examine)(void *ctx, struct hcf_chan_event *ev, bool *has_rip, uint64_t *rip);
	/* The guest pages that differ from the boot snapshot (stray pages,
	 * and with_agent the agent's own as well): fills r->pages. */
	void (*changed_pages)(void *ctx, struct hcf_prog_result *r, bool with_agent);
};

struct hcf_channel {
	const struct hcf_channel_ops *ops;
	void *ctx;
};

/* What the agent reports after rearm steps (HCF_CMD_REARM). */
struct hcf_rearm {
	uint32_t faults;   /* HCF_REARM_* steps that failed */
	uint32_t cs;       /* CS as the agent reads it */
	uint64_t rsp;      /* its stack pointer */
};

struct hcf_engine {
	struct hcf_channel ch;
	unsigned watchdog_ms;      /* no progress for this long: the guest is lost */
	uint8_t wire_xport;        /* the ABI's transport as the agent executes it */
	bool timing;               /* rdtsc around every call */
	bool vec_ok;               /* XMM capture works here */
	uint64_t seq;              /* the last command's sequence number */
	uint8_t xmm_sentinel[16][16];
	struct hcf_layout layout;  /* the program's buffers, as placed */
	char console[256];         /* the tail of the agent's debug console */
	size_t console_len;
	/* Rearm steps (HCF_REARM_*) the next batch carries, set by the channel's
	 * owner after it restored the guest: the agent does them before its
	 * calls. After hcf_engine_run, rearm_sent says whether a batch carried
	 * them, rearm_done whether the agent got through them, and rearm what it
	 * reported. */
	uint32_t rearm_next;
	bool rearm_sent, rearm_done;
	struct hcf_rearm rearm;
	uint64_t rearm_seq;        /* the batch that carried them */
};

/* An engine over ch, with the XMM sentinels every channel hands the agent. */
void hcf_engine_init(struct hcf_engine *e, struct hcf_channel ch, unsigned watchdog_ms);

/* The mailbox as the agent expects it at boot (magic, version, sentinels). */
void hcf_engine_mbox_init(struct hcf_engine *e);

/*
 * Boot handshake: run until the agent rings READY (within timeout_ms), copy
 * its probe block (guest-written: copied and made printable), then one empty
 * command, after which the agent is parked where it always is between
 * programs. Returns 0, or -1 with the reason in err.
 */
/* The agent's identification of its CPU and hypervisor (vendor, signature,
 * hypervisor CPUID leaves) from its probe block, into ti. */
void hcf_engine_take_ids(struct hcf_target_info *ti, const struct hcf_boot *probe);

int hcf_engine_boot(struct hcf_engine *e, unsigned timeout_ms, struct hcf_boot *probe, char *err,
		    size_t errlen);

/*
 * Run p from its first call, batch after batch. Returns 0 when r describes
 * what happened (*lost: the guest is gone, the channel must be rebuilt), or
 * -1 when the harness failed (r->liveness HCF_LIVE_HARNESS).
 */
int hcf_engine_run(struct hcf_engine *e, const struct hcf_prog *p, struct hcf_prog_result *r,
		   bool *lost);

/* A program the target could not run at all (no guest, a program for
 * another ABI): every call not run, the harness's failure with why. */
void hcf_engine_not_run(const struct hcf_prog *p, struct hcf_prog_result *r, const char *why);

/* One command without calls, timed: the ceiling of the channel. */
int hcf_engine_empty(struct hcf_engine *e, double *seconds);
/*
 * After the channel put the agent's boot snapshot back (HCF_CMD_REARM): the
 * agent does steps (HCF_REARM_*: re-establish what no host can restore, such
 * as PVM's VIF page registration; check its exception path) and reports what
 * it sees of itself. A report equal to the one right after boot says the
 * restored agent is the booted one. 0, or -1 when the agent did not answer.
 * (rearm_next has a batch carry the steps instead, without a round trip.)
 */
int hcf_engine_rearm(struct hcf_engine *e, uint32_t steps, struct hcf_rearm *out);

/* The first call of p issued `iterations` times in a bare loop in the guest. */
int hcf_engine_raw_loop(struct hcf_engine *e, const struct hcf_prog *p, uint64_t iterations,
			double *seconds);

/*
 * The doorbell of an external hypervisor is a stream of struct hcf_frame.
 * With len bytes at buf: HCF_FRAME_NEED (a frame is not whole yet),
 * HCF_FRAME_OK (*f is the first frame; it was sizeof(*f) bytes) or
 * HCF_FRAME_GARBAGE (the bytes are not a frame of this protocol; why says
 * what was seen). Everything is checked: magic, version, checksum.
 */
enum hcf_frame_status { HCF_FRAME_NEED, HCF_FRAME_OK, HCF_FRAME_GARBAGE };
enum hcf_frame_status hcf_frame_parse(const uint8_t *buf, size_t len, struct hcf_frame *f, char *why,
				      size_t whylen);

/*
 * A channel whose doorbell is a byte stream from the hypervisor's process
 * (QEMU's debug console, a Solo5 tender's stdout): read fd into buf (*nbuf
 * bytes held, cap room) until take finds a frame or fails (it returns
 * non-zero with ev set), the timeout passes (HCF_CEV_TIMEOUT), the user
 * interrupts, or the stream ends, which ended explains in ev.
 */
struct hcf_stream {
	int fd;
	uint8_t *buf;
	size_t *nbuf, cap;
	void *ctx;
	int (*take)(void *ctx, struct hcf_chan_event *ev);
	void (*ended)(void *ctx, struct hcf_chan_event *ev);
};
void hcf_stream_wait(const struct hcf_stream *s, unsigned timeout_ms, struct hcf_chan_event *ev);

/* Calls the harness will not make: port I/O to the agent's own doorbell or
 * console, MMIO into guest RAM. NULL: fine; else why not. */
const char *hcf_engine_refusal(const struct hcf_prog *p, const struct hcf_pcall *c);

#endif /* HCF_ENGINE_H */
