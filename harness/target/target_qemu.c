/*
 * target_qemu.c: the agent as a real guest of QEMU (qemu-system-x86_64),
 * one QEMU process serving many programs.
 *
 * QEMU boots the agent's multiboot front-end (guests/agent/boot32.S) with
 * -kernel. The guest's RAM is a file this process maps too (a
 * memory-backend-file with share=on), so the engine reads and writes the
 * mailbox exactly as it does in the in-process VMM: no copy, no
 * serialization. What an external hypervisor cannot do is stop the guest at
 * its doorbell, so the agent rings with a framed, checked message on a byte
 * stream (an isa-debugcon at the doorbell port, on a pipe to this process)
 * and polls the mailbox for the next command. Why this channel, measured
 * against the others: docs/targets.md.
 *
 * Everything that comes from QEMU is untrusted: bytes on the doorbell that
 * are not a well-formed frame are a protocol violation (ERROR), a QEMU that
 * ends is the guest's loss (a triple fault with -no-reboot: QEMU exits 0; a
 * crash: its exit status and the tail of its stderr), no frame in time is a
 * hang. After a loss, or a program that may have reconfigured the guest,
 * the next program gets a fresh QEMU.
 */
#include "target/target.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hcf_proto.h"
#include "spec/transport.h"
#include "target/engine.h"
#include "target/qemu_proc.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/interrupt.h"
#include "util/x86.h"
#include "util/xalloc.h"

extern const uint8_t hcf_agent_elf[], hcf_agent_elf_end[];
extern const uint8_t hcf_agent_pvh_elf[], hcf_agent_pvh_elf_end[];
extern const uint8_t hcf_agent_xenpv_elf[], hcf_agent_xenpv_elf_end[];

/* The agent's images (agent_blob.S), by how they are booted. */
enum agent_image { IMG_MULTIBOOT, IMG_PVH, IMG_XENPV };
static const struct {
	const uint8_t *start, *end;
	const char *boot;
} agent_images[] = {
	[IMG_MULTIBOOT] = { hcf_agent_elf, hcf_agent_elf_end, "multiboot" },
	[IMG_PVH] = { hcf_agent_pvh_elf, hcf_agent_pvh_elf_end, "PVH" },
	[IMG_XENPV] = { hcf_agent_xenpv_elf, hcf_agent_xenpv_elf_end, "Xen PV" },
};

/*
 * The agent as Xen's dom0, one row per kind. PVH needs an IOMMU with
 * interrupt remapping, hence q35 and intel-iommu; a PV dom0 boots on pc.
 */
struct xen_flavour {
	const char *target;       /* the target's name */
	const char *dom0;         /* "pv", "pvh": the report's facts */
	const char *label;        /* "PV", "PVH": its notes */
	const char *machine;
	const char *device;       /* an extra -device, or NULL */
	const char *append;       /* Xen's command line */
	enum agent_image image;
};
static const struct xen_flavour xen_flavours[] = {
	{ "xen-pvh", "pvh", "PVH", "q35", "intel-iommu,intremap=on",
	  "console=com1 com1=115200,8n1 dom0=pvh dom0_mem=32M dom0_max_vcpus=1", IMG_PVH },
	{ "xen-pv", "pv", "PV", "pc", NULL,
	  "console=com1 com1=115200,8n1 dom0_mem=32M dom0_max_vcpus=1", IMG_XENPV },
};

#define RAM_MIB_DEFAULT 16u        /* QEMU's RAM; the agent uses the low 8 MiB */
#define BOOT_TIMEOUT_MS 20000u     /* TCG boots in 0.1-0.2 s; a loaded CI machine is slower */

struct qemu_target {
	struct hcf_target base;
	struct hcf_target_opts opts;
	struct hcf_engine eng;
	struct hcf_target_info info;
	struct hcf_qemu_proc proc;   /* QEMU, its log (stderr and the agent's console) */
	const char *machine;         /* pc, microvm */
	const char *accel;           /* tcg, kvm */
	const char *debug_exit;      /* isa-debug-exit's port, or NULL */
	enum agent_image image;      /* which image, booted how */
	unsigned ram_mib;
	int ram_fd, agent_fd;        /* memfds QEMU opens as /proc/self/fd/N */
	uint8_t *ram;
	size_t ram_size;
	/* xen-pv, xen-pvh: Xen boots the agent as its dom0, whose pages lie
	 * anywhere in QEMU's RAM. The agent tags them (struct hcf_page_tag); at
	 * READY this process finds them and maps each where the agent sees it,
	 * into view, which is then the guest memory the engine uses. */
	const char *xen;             /* the hypervisor binary, or NULL */
	const struct xen_flavour *xenf;
	uint8_t *view;               /* HCF_GUEST_MEM_SIZE, the agent's pages mapped in */
	bool mapped;                 /* view holds this boot's pages */
	struct hcf_gmem mem;
	int bell_fd;                 /* the doorbell stream (read end) */
	uint8_t buf[64];             /* doorbell bytes not yet a whole frame */
	size_t nbuf;
};

#define Q(t) ((struct qemu_target *)(t))

/* ---- QEMU, the process ---------------------------------------------------- */

/* Stop QEMU (if it runs) and forget it. */
static void qemu_stop(struct qemu_target *q)
{
	hcf_qemu_stop(&q->proc);
	if (q->bell_fd >= 0)
		close(q->bell_fd);
	q->bell_fd = -1;
	q->nbuf = 0;
}

/*
 * The guest's RAM as a file both QEMU and this process map: a memfd, which
 * QEMU opens as /proc/self/fd/N (inherited), so that nothing is left in a
 * file system when either process dies.
 */
static int ram_create(struct qemu_target *q, char *err, size_t errlen)
{
	q->ram_fd = memfd_create("hcf-qemu-ram", 0);
	if (q->ram_fd < 0 || ftruncate(q->ram_fd, (off_t)q->ram_size) != 0) {
		snprintf(err, errlen, "guest RAM (memfd): %s", strerror(errno));
		return -1;
	}
	q->ram = mmap(NULL, q->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED, q->ram_fd, 0);
	if (q->ram == MAP_FAILED) {
		q->ram = NULL;
		snprintf(err, errlen, "mapping the guest RAM: %s", strerror(errno));
		return -1;
	}
	q->mem.host = q->ram;
	q->mem.size = HCF_GUEST_MEM_SIZE;
	if (q->xen) {
		q->view = mmap(NULL, HCF_GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (q->view == MAP_FAILED) {
			q->view = NULL;
			snprintf(err, errlen, "the guest's view: %s", strerror(errno));
			return -1;
		}
		q->mem.host = q->view;
	}
	return 0;
}

/*
 * Find the pages the agent tagged in QEMU's RAM and map each into the view
 * where the agent sees it; then the mailbox as the agent expects it. The
 * tags are the guest's: each is checked, a page claimed twice or a shared
 * page missing is an error. 0, or -1 with why.
 */
static int map_tagged_pages(struct qemu_target *q, char *why, size_t len)
{
	enum { NPAGES = HCF_GUEST_MEM_SIZE / 0x1000 };
	int64_t at[NPAGES];
	for (size_t i = 0; i < NPAGES; i++)
		at[i] = -1;
	uint64_t nonce = 0;
	size_t found = 0;
	for (size_t off = 0; off + 0x1000 <= q->ram_size; off += 0x1000) {
		struct hcf_page_tag t;
		memcpy(&t, q->ram + off + HCF_PAGE_TAG_OFF, sizeof(t));
		if (t.magic != HCF_PAGE_TAG_MAGIC ||
		    t.check != (t.magic ^ t.gpa ^ t.nonce ^ HCF_PAGE_TAG_SALT) || (t.gpa & 0xfff) ||
		    t.gpa >= HCF_GUEST_MEM_SIZE)
			continue;
		if (found && t.nonce != nonce) {
			snprintf(why, len, "page tags of two boots (nonces 0x%llx, 0x%llx)",
				 (unsigned long long)nonce, (unsigned long long)t.nonce);
			return -1;
		}
		nonce = t.nonce;
		if (at[t.gpa / 0x1000] >= 0) {
			snprintf(why, len, "guest page 0x%llx tagged twice", (unsigned long long)t.gpa);
			return -1;
		}
		at[t.gpa / 0x1000] = (int64_t)off;
		found++;
	}
	size_t want = 1 + (HCF_GPA_ARENA + HCF_ARENA_SIZE - HCF_GPA_MBOX) / 0x1000;
	if (found != want || at[HCF_GPA_BOOT / 0x1000] < 0) {
		snprintf(why, len, "found %zu of the %zu pages the agent shares", found, want);
		return -1;
	}
	for (size_t i = 0; i < NPAGES; i++)
		if (at[i] >= 0 && mmap(q->view + i * 0x1000, 0x1000, PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_FIXED, q->ram_fd, (off_t)at[i]) == MAP_FAILED) {
			snprintf(why, len, "mapping guest page 0x%zx: %s", i * 0x1000, strerror(errno));
			return -1;
		}
	q->mapped = true;
	hcf_engine_mbox_init(&q->eng);
	return 0;
}

/* Start QEMU on the agent; its doorbell stream is q->bell_fd. */
static int qemu_start(struct qemu_target *q, char *err, size_t errlen)
{
	char machine[96], ramobj[160], kernel[96], mem[16];
	snprintf(machine, sizeof(machine), "%s,memory-backend=ram", q->machine);
	snprintf(ramobj, sizeof(ramobj),
		 "memory-backend-file,id=ram,size=%uM,mem-path=/proc/self/fd/%d,share=on", q->ram_mib,
		 q->ram_fd);
	snprintf(kernel, sizeof(kernel), "/proc/self/fd/%d", q->agent_fd);
	snprintf(mem, sizeof(mem), "%uM", q->ram_mib);
	const char *cpu = strcmp(q->accel, "kvm") ? "max" : "qemu64";
	char exitdev[64];
	snprintf(exitdev, sizeof(exitdev), "isa-debug-exit,iobase=%s,iosize=4",
		 q->debug_exit ? q->debug_exit : "");
	const char *args[48] = {
		"-nodefaults", "-nographic", "-monitor", "none", "-no-reboot", "-M", machine,
		"-accel", q->accel, "-cpu", cpu, "-m", mem, "-object", ramobj,
		"-chardev", "file,id=bell,path=/dev/fd/3", "-device", "isa-debugcon,iobase=0xe8,chardev=bell",
		"-chardev", "file,id=con,path=/dev/fd/2,append=on",
		"-device", "isa-debugcon,iobase=0xe9,chardev=con",
	};
	size_t n = 0;
	while (args[n])
		n++;
	if (q->xenf) {
		/* Xen on its first serial port (kept in the log), the agent as
		 * its dom0 */
		const char *xen_args[] = {
			"-kernel", q->xen, "-append", q->xenf->append, "-initrd", kernel,
			"-chardev", "file,id=xcon,path=/dev/fd/2,append=on", "-serial", "chardev:xcon",
		};
		for (size_t i = 0; i < sizeof(xen_args) / sizeof(xen_args[0]); i++)
			args[n++] = xen_args[i];
		if (q->xenf->device) {
			args[n++] = "-device";
			args[n++] = q->xenf->device;
		}
	} else {
		args[n++] = "-serial";
		args[n++] = "none";
		args[n++] = "-kernel";
		args[n++] = kernel;
	}
	if (q->debug_exit) {
		args[n++] = "-device";
		args[n++] = exitdev;
	}
	args[n] = NULL;
	int bell[2];
	if (pipe2(bell, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	int rc = hcf_qemu_spawn(&q->proc, args, &bell[1], 1, err, errlen);
	close(bell[1]);
	if (rc != 0) {
		close(bell[0]);
		return -1;
	}
	q->bell_fd = bell[0];
	q->nbuf = 0;
	return 0;
}

/* ---- the channel ---------------------------------------------------------- */

static const struct hcf_gmem *chan_mem(void *ctx)
{
	return &((struct qemu_target *)ctx)->mem;
}

/* QEMU ended (or the stream closed): how, as the guest's loss. */
static void qemu_ended(struct qemu_target *q, struct hcf_chan_event *ev)
{
	char how[48], tail[HCF_QEMU_LOG_TAIL + 200];
	bool clean = hcf_qemu_ended(&q->proc, 2000, how, sizeof(how));
	hcf_qemu_log_evidence(&q->proc, tail, sizeof(tail));
	ev->kind = HCF_CEV_LOST;
	/* -no-reboot: a guest that resets or triple-faults ends QEMU cleanly */
	ev->lost = clean ? HCF_LIVE_SHUTDOWN : HCF_LIVE_VMM_GONE;
	snprintf(ev->detail, sizeof(ev->detail), "%s%s%s%s",
		 clean ? "QEMU ended the guest (reset or triple fault)" : "QEMU ended: ",
		 clean ? "" : how, tail[0] ? ": " : "", tail);
}

/* A whole frame at the start of the buffer: 1, garbage: -1, more bytes needed: 0. */
static int take_frame(struct qemu_target *q, struct hcf_chan_event *ev)
{
	struct hcf_frame f;
	switch (hcf_frame_parse(q->buf, q->nbuf, &f, ev->detail, sizeof(ev->detail))) {
	case HCF_FRAME_NEED:
		return 0;
	case HCF_FRAME_GARBAGE:
		ev->kind = HCF_CEV_LOST;
		ev->lost = HCF_LIVE_PROTOCOL;
		return -1;
	case HCF_FRAME_OK:
		break;
	}
	memmove(q->buf, q->buf + sizeof(f), q->nbuf - sizeof(f));
	q->nbuf -= sizeof(f);
	ev->kind = HCF_CEV_DOORBELL;
	ev->value = f.event;
	if (q->xen && f.event == HCF_EV_READY && !q->mapped) {
		char why[160];
		if (map_tagged_pages(q, why, sizeof(why)) != 0) {
			ev->kind = HCF_CEV_LOST;
			ev->lost = HCF_LIVE_PROTOCOL;
			snprintf(ev->detail, sizeof(ev->detail), "the dom0's shared pages: %s", why);
			return -1;
		}
	}
	return 1;
}

static int take_frame_cb(void *ctx, struct hcf_chan_event *ev)
{
	return take_frame(ctx, ev);
}

static void qemu_ended_cb(void *ctx, struct hcf_chan_event *ev)
{
	qemu_ended(ctx, ev);
}

static void chan_wait(void *ctx, unsigned timeout_ms, struct hcf_chan_event *ev)
{
	struct qemu_target *q = ctx;
	memset(ev, 0, sizeof(*ev));
	if (q->proc.pid <= 0 || q->bell_fd < 0) {
		ev->kind = HCF_CEV_HOST_ERROR;
		snprintf(ev->detail, sizeof(ev->detail), "QEMU is not running");
		return;
	}
	const struct hcf_stream st = {
		.fd = q->bell_fd, .buf = q->buf, .nbuf = &q->nbuf, .cap = sizeof(q->buf), .ctx = q,
		.take = take_frame_cb, .ended = qemu_ended_cb,
	};
	hcf_stream_wait(&st, timeout_ms, ev);
}

static void chan_examine(void *ctx, struct hcf_chan_event *ev, bool *has_rip, uint64_t *rip)
{
	struct qemu_target *q = ctx;
	*has_rip = false;
	*rip = 0;
	if (ev->kind != HCF_CEV_TIMEOUT)
		return;
	size_t used = strlen(ev->detail);
	/* Xen says when its dom0 ended (shut down, halted, crashed), and then
	 * reboots only after seconds, or halts: that is the guest ending, with
	 * Xen's line as the evidence, not a hang */
	char line[200];
	if (q->xenf && hcf_qemu_log_line(&q->proc, "Hardware Dom0", line, sizeof(line))) {
		ev->lost = HCF_LIVE_SHUTDOWN;
		snprintf(ev->detail + used, sizeof(ev->detail) - used, "%sXen ended its dom0: %s",
			 used ? "; " : "", line);
		return;
	}
	/* Without a monitor this process cannot see where the vCPU is: a guest
	 * that stops talking is a hang, whatever it executes. */
	ev->lost = HCF_LIVE_HANG;
	snprintf(ev->detail + used, sizeof(ev->detail) - used, "%sQEMU (pid %d) sent no frame",
		 used ? "; " : "", (int)q->proc.pid);
}

static const struct hcf_channel_ops qemu_channel = {
	.mem = chan_mem,
	.wait = chan_wait,
	.examine = chan_examine,
	.changed_pages = NULL, /* no dirty log from outside QEMU */
};

/* ---- boot ------------------------------------------------------------------- */

static void take_probe(struct qemu_target *q, const struct hcf_boot *probe)
{
	struct hcf_target_info *ti = &q->info;
	hcf_engine_take_ids(ti, probe);
	ti->rflags_captured = HCF_X86_RFLAGS_ARCH;
	/* A PV kernel's IF is virtual (its event mask): the CPU's, which the
	 * agent's pushf sees, is always set, and an exception frame carries
	 * the virtual one */
	if (q->xenf && q->xenf->image == IMG_XENPV)
		ti->rflags_captured &= ~HCF_X86_RFLAGS_IF;
	snprintf(ti->target, sizeof(ti->target), "%s", q->base.ops->name);
	if (q->xenf) {
		snprintf(ti->hypervisor, sizeof(ti->hypervisor), "xen");
		snprintf(ti->facts, sizeof(ti->facts), "dom0=%s machine=%s accel=tcg", q->xenf->dom0,
			 q->machine);
	} else {
		snprintf(ti->hypervisor, sizeof(ti->hypervisor), "qemu-%s", q->accel);
		snprintf(ti->facts, sizeof(ti->facts), "machine=%s accel=%s boot=%s", q->machine,
			 q->accel, q->image == IMG_PVH ? "pvh" : "multiboot");
	}
	if (q->base.abi)
		q->eng.wire_xport = hcf_xport_wire(&q->base.abi->transport, ti->cpu_vendor);
}

static int boot(struct qemu_target *q, char *err, size_t errlen)
{
	/* Xen puts the dom0 anywhere: no tag of an earlier boot may remain,
	 * and the view forgets the earlier boot's pages until READY */
	memset(q->ram, 0, q->xen ? q->ram_size : HCF_GUEST_MEM_SIZE);
	if (q->xen && mmap(q->view, HCF_GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
		snprintf(err, errlen, "the guest's view: %s", strerror(errno));
		return -1;
	}
	q->mapped = false;
	hcf_engine_mbox_init(&q->eng);
	if (qemu_start(q, err, errlen) != 0)
		return -1;
	struct hcf_boot probe;
	if (hcf_engine_boot(&q->eng, BOOT_TIMEOUT_MS, &probe, err, errlen) != 0) {
		hcf_qemu_append_tail(&q->proc, "QEMU", err, errlen);
		qemu_stop(q);
		return -1;
	}
	if (q->xenf && !(probe.flags & HCF_BOOT_XEN_WAKE)) {
		/* without it a call that blocks the vCPU would be a HANG of a
		 * correct Xen; the agent said on Xen's console which step failed */
		char tail[HCF_QEMU_LOG_TAIL + 1];
		hcf_qemu_log_tail(&q->proc, tail, sizeof(tail));
		snprintf(err, errlen, "the agent, Xen's dom0, could not arm its wake-up event (%s)",
			 tail);
		qemu_stop(q);
		return -1;
	}
	take_probe(q, &probe);
	return 0;
}

/* A fresh QEMU; a second try when the first does not boot (a QEMU killed
 * while it booted is no reason to stop a run). */
static int rebuild(struct qemu_target *q)
{
	char err[512];
	for (int attempt = 0; attempt < 2; attempt++) {
		qemu_stop(q);
		q->info.rebuilds++;
		if (boot(q, err, sizeof(err)) == 0)
			return 0;
	}
	fprintf(stderr, "hcfuzz: qemu: starting QEMU again failed: %s\n", err);
	return -1;
}

/* ---- the target ------------------------------------------------------------ */

static int qemu_run(struct hcf_target *t, const struct hcf_prog *p, struct hcf_prog_result *r)
{
	struct qemu_target *q = Q(t);
	if (q->proc.pid <= 0 && rebuild(q) != 0) {
		hcf_engine_not_run(p, r, "QEMU is not running: starting it again failed");
		return -1;
	}
	if (p->abi != t->abi) {
		hcf_engine_not_run(p, r, "program for another ABI than the target was opened for");
		return -1;
	}
	bool lost;
	if (hcf_engine_run(&q->eng, p, r, &lost) != 0) {
		qemu_stop(q);
		return -1;
	}
	if (lost || hcf_prog_has_destructive(p))
		qemu_stop(q); /* the next program gets a fresh QEMU */
	return 0;
}

static int qemu_reset(struct hcf_target *t)
{
	struct qemu_target *q = Q(t);
	/* The agent is parked polling its mailbox; every program writes its
	 * calls and buffers afresh. A guest a program may have changed was
	 * stopped after it and starts again here. */
	if (q->proc.pid <= 0)
		return rebuild(q);
	q->info.resets++;
	return 0;
}

static void qemu_close(struct hcf_target *t)
{
	struct qemu_target *q = Q(t);
	if (!q)
		return;
	qemu_stop(q);
	hcf_qemu_proc_close(&q->proc);
	if (q->ram)
		munmap(q->ram, q->ram_size);
	if (q->view)
		munmap(q->view, HCF_GUEST_MEM_SIZE);
	if (q->ram_fd >= 0)
		close(q->ram_fd);
	if (q->agent_fd >= 0)
		close(q->agent_fd);
	free(q);
}

static const struct hcf_target_info *qemu_info(struct hcf_target *t)
{
	return &Q(t)->info;
}

static int qemu_empty_round_trip(struct hcf_target *t, double *seconds)
{
	return hcf_engine_empty(&Q(t)->eng, seconds);
}

static int qemu_save_console(struct hcf_target *t, const char *path)
{
	return hcf_qemu_log_save(&Q(t)->proc, path);
}

static int qemu_raw_loop(struct hcf_target *t, const struct hcf_prog *p, uint64_t iterations,
			 double *seconds)
{
	return hcf_engine_raw_loop(&Q(t)->eng, p, iterations, seconds);
}

/* The agent image QEMU loads with -kernel, as a memfd (/proc/self/fd/N). */
static int write_agent(struct qemu_target *q, char *err, size_t errlen)
{
	const uint8_t *image = agent_images[q->image].start;
	size_t len = (size_t)(agent_images[q->image].end - image);
	char *file = NULL;
	if (q->opts.agent_path) {
		/* --agent: an image of the user's (or a test's), booted the same way */
		file = hcf_read_file(q->opts.agent_path, 16u << 20, &len);
		if (!file) {
			snprintf(err, errlen, "agent %s: %s", q->opts.agent_path, strerror(errno));
			return -1;
		}
		image = (const uint8_t *)file;
	}
	q->agent_fd = memfd_create("hcf-agent", 0);
	int rc = 0;
	if (q->agent_fd < 0 || write(q->agent_fd, image, len) != (ssize_t)len) {
		snprintf(err, errlen, "the agent image (memfd): %s", strerror(errno));
		rc = -1;
	}
	free(file);
	return rc;
}

static int qemu_open(struct hcf_target **out, const struct hcf_abi *abi,
		     const struct hcf_target_opts *opts, char *err, size_t errlen);
static int finish_open(struct qemu_target *q, const struct hcf_target_opts *opts,
		       struct hcf_target **out, char *err, size_t errlen);
static int xen_pvh_open(struct hcf_target **out, const struct hcf_abi *abi,
			const struct hcf_target_opts *opts, char *err, size_t errlen);
static int xen_pv_open(struct hcf_target **out, const struct hcf_abi *abi,
		       const struct hcf_target_opts *opts, char *err, size_t errlen);

/* A target of either flavour, nothing open yet. */
static struct qemu_target *new_target(const struct hcf_target_ops *ops, const struct hcf_abi *abi,
				      const struct hcf_target_opts *opts)
{
	struct qemu_target *q = hcf_xcalloc(1, sizeof(*q));
	q->base.ops = ops;
	q->base.abi = abi;
	q->opts = *opts;
	q->bell_fd = -1;
	q->ram_fd = q->agent_fd = -1;
	q->proc.pid = -1;
	q->proc.log_fd = -1;
	q->debug_exit = hcf_target_param(opts, "debug-exit");
	return q;
}

/* The Xen binary: xen=PATH, else the one the build fetched (ci/fetch-xen.sh). */
static const char *xen_binary(const struct hcf_target_opts *opts)
{
	const char *p = hcf_target_param(opts, "xen");
	if (p && *p)
		return p;
#ifdef HCF_XEN_DEFAULT
	return HCF_XEN_DEFAULT;
#else
	return "xen";
#endif
}

static int xen_available(const struct hcf_target_opts *opts, char *why, size_t len)
{
	if (hcf_qemu_available(opts, why, len) != 0)
		return -1;
	const char *xen = xen_binary(opts);
	if (access(xen, R_OK) == 0)
		return 0;
	snprintf(why, len, "no Xen (%s): `ninja -C build xen` fetches Debian's into the build's "
			   "cache; or give xen=PATH", xen);
	return -1;
}

/* Either Xen flavour: ops->name picks the row of xen_flavours[]. */
static int xen_open(const struct hcf_target_ops *ops, struct hcf_target **out,
		    const struct hcf_abi *abi, const struct hcf_target_opts *opts, char *err,
		    size_t errlen)
{
	*out = NULL;
	static const char *const params[] = { "qemu", "xen", "debug-exit", NULL };
	if (hcf_target_params_check(opts, ops->name, params, err, errlen) != 0 ||
	    xen_available(opts, err, errlen) != 0)
		return -1;
	struct qemu_target *q = new_target(ops, abi, opts);
	for (size_t i = 0; i < sizeof(xen_flavours) / sizeof(xen_flavours[0]); i++)
		if (!strcmp(xen_flavours[i].target, ops->name))
			q->xenf = &xen_flavours[i];
	q->machine = q->xenf->machine;
	q->accel = "tcg"; /* Xen does not boot under QEMU -accel kvm on these hosts */
	q->image = q->xenf->image;
	q->xen = xen_binary(opts);
	q->ram_mib = 512;
	return finish_open(q, opts, out, err, errlen);
}

const struct hcf_target_ops hcf_target_xen_pvh_ops = {
	.name = "xen-pvh",
	.summary = "Xen 4.17 (Debian's) under QEMU TCG, the agent as its PVH dom0",
	.open = xen_pvh_open,
	.run = qemu_run,
	.reset = qemu_reset,
	.close = qemu_close,
	.info = qemu_info,
	.raw_loop = qemu_raw_loop,
	.empty_round_trip = qemu_empty_round_trip,
	.save_console = qemu_save_console,
	.available = xen_available,
};

static int xen_pvh_open(struct hcf_target **out, const struct hcf_abi *abi,
			const struct hcf_target_opts *opts, char *err, size_t errlen)
{
	return xen_open(&hcf_target_xen_pvh_ops, out, abi, opts, err, errlen);
}

const struct hcf_target_ops hcf_target_xen_pv_ops = {
	.name = "xen-pv",
	.summary = "Xen 4.17 (Debian's) under QEMU TCG, the agent as its PV dom0",
	.open = xen_pv_open,
	.run = qemu_run,
	.reset = qemu_reset,
	.close = qemu_close,
	.info = qemu_info,
	.raw_loop = qemu_raw_loop,
	.empty_round_trip = qemu_empty_round_trip,
	.save_console = qemu_save_console,
	.available = xen_available,
};

static int xen_pv_open(struct hcf_target **out, const struct hcf_abi *abi,
		       const struct hcf_target_opts *opts, char *err, size_t errlen)
{
	return xen_open(&hcf_target_xen_pv_ops, out, abi, opts, err, errlen);
}

const struct hcf_target_ops hcf_target_qemu_ops = {
	.name = "qemu",
	.summary = "the agent as a guest of QEMU (TCG by default), one QEMU for many programs",
	.open = qemu_open,
	.run = qemu_run,
	.reset = qemu_reset,
	.close = qemu_close,
	.info = qemu_info,
	.raw_loop = qemu_raw_loop,
	.empty_round_trip = qemu_empty_round_trip,
	.save_console = qemu_save_console,
	.available = hcf_qemu_available,
};

static int qemu_open(struct hcf_target **out, const struct hcf_abi *abi,
		     const struct hcf_target_opts *opts, char *err, size_t errlen)
{
	*out = NULL;
	static const char *const params[] = { "qemu", "machine", "accel", "mem", "debug-exit", "boot",
					       NULL };
	if (hcf_target_params_check(opts, "qemu", params, err, errlen) != 0)
		return -1;
	struct qemu_target *q = new_target(&hcf_target_qemu_ops, abi, opts);
	q->machine = hcf_target_param(opts, "machine") ? hcf_target_param(opts, "machine") : "pc";
	q->accel = hcf_target_param(opts, "accel") ? hcf_target_param(opts, "accel") : "tcg";
	const char *bootp = hcf_target_param(opts, "boot");
	if (bootp && strcmp(bootp, "multiboot") && strcmp(bootp, "pvh")) {
		snprintf(err, errlen, "qemu: boot=%s: multiboot or pvh", bootp);
		free(q);
		return -1;
	}
	q->image = bootp && !strcmp(bootp, "pvh") ? IMG_PVH : IMG_MULTIBOOT;
	q->ram_mib = RAM_MIB_DEFAULT;
	const char *mem = hcf_target_param(opts, "mem");
	if (mem) {
		char *end;
		unsigned long v = strtoul(mem, &end, 10);
		if (*end || v < 16 || v > 4096) {
			snprintf(err, errlen, "qemu: mem=%s: a size in MiB, 16 to 4096", mem);
			free(q);
			return -1;
		}
		q->ram_mib = (unsigned)v;
	}
	if (strcmp(q->accel, "tcg") && strcmp(q->accel, "kvm")) {
		snprintf(err, errlen, "qemu: accel=%s: tcg or kvm", q->accel);
		free(q);
		return -1;
	}
	return finish_open(q, opts, out, err, errlen);
}

/* The rest of opening, for every flavour: the log, the engine, the agent
 * image, the RAM, the first boot. */
static int finish_open(struct qemu_target *q, const struct hcf_target_opts *opts,
		       struct hcf_target **out, char *err, size_t errlen)
{
	q->ram_size = (size_t)q->ram_mib << 20;
	/* QEMU's stderr and the agent's console share the log */
	if (hcf_qemu_proc_init(&q->proc, opts, err, errlen) != 0) {
		qemu_close(&q->base);
		return -1;
	}
	hcf_engine_init(&q->eng, (struct hcf_channel){ .ops = &qemu_channel, .ctx = q },
			opts->watchdog_ms ? opts->watchdog_ms : HCF_WATCHDOG_DEFAULT_MS);
	q->eng.timing = opts->timing;
	if (write_agent(q, err, errlen) != 0 || ram_create(q, err, errlen) != 0 ||
	    boot(q, err, errlen) != 0) {
		qemu_close(&q->base);
		return -1;
	}
	if (q->xenf)
		snprintf(q->info.notes, sizeof(q->info.notes),
			 "Xen %s as QEMU's (%s) guest, -M %s%s, TCG, %u MiB; the agent is its %s dom0 "
			 "(CPUID vendor %s, signature \"%s\"); channel: the dom0's pages found in "
			 "QEMU's RAM by their tags and mapped, framed doorbell on isa-debugcon; Xen's "
			 "console in the log; no dirty-page log; vector capture off",
			 q->xen, q->proc.binary, q->machine, q->xenf->device ? " with an IOMMU" : "",
			 q->ram_mib, q->xenf->label,
			 q->info.cpu_vendor, q->info.hv_signature);
	else
		snprintf(q->info.notes, sizeof(q->info.notes),
			 "QEMU %s, -M %s, -accel %s, %u MiB, %s boot (CPUID vendor %s, signature \"%s\"); "
			 "channel: guest RAM shared through a file, framed doorbell on isa-debugcon; no "
			 "dirty-page log (stray writes not detected); vector capture off",
			 q->proc.binary, q->machine, q->accel, q->ram_mib, agent_images[q->image].boot,
			 q->info.cpu_vendor, q->info.hv_signature);
	*out = &q->base;
	return 0;
}
