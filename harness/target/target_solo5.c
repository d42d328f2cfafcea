/*
 * target_solo5.c: the agent as the guest of a Solo5 hvt tender (the user's
 * solo5-hvt, a KVM VMM of its own): target `solo5`.
 *
 * The tender runs the agent image (hcf-agent-hvt.elf, guests/agent/hvt/)
 * with 8 MiB of memory and one block device, "storage", backed by an image
 * this process creates (a memfd the tender opens as /proc/PID/fd/N), kept
 * up for many programs. The channel:
 * - memory: the tender's guest memory is a shared anonymous mapping; at the
 *   agent's READY this process maps the same pages (/proc/PID/map_files,
 *   which needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE), so the engine
 *   reads and writes the mailbox in place, and what the guest's memory held
 *   when the tender died stays readable: the call that killed it still
 *   reaches the oracles;
 * - doorbell: the agent's frames go out through HVT_HYPERCALL_PUTS, which
 *   the tender writes to its stdout, a pipe here. A program's own PUTS
 *   writes there too: bytes that are not a frame are the guest's console,
 *   kept in the log.
 * How the tender ends is the verdict's evidence: its "solo5-hvt: ..." line
 * on stderr (it refused a call and exited, HCF_LIVE_REFUSED), an exit
 * without one (the guest's own HALT with its status, HCF_LIVE_HALT), a
 * signal (the tender crashed: CRASH), silence (HANG).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spec/transport.h"
#include "target/engine.h"
#include "target/qemu_proc.h"
#include "target/target.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/interrupt.h"
#include "util/x86.h"
#include "util/xalloc.h"
#include "vmm/elf.h"
#include "vmm/kvm_machine.h"

extern const uint8_t hcf_agent_hvt_elf[], hcf_agent_hvt_elf_end[];

#define MEM_MIB (HCF_GUEST_MEM_SIZE >> 20)  /* --mem: the agent's 8 MiB, no more */
#define BLOCK_CAPACITY_DEFAULT 65536u        /* bytes of the "storage" image */
#define BOOT_TIMEOUT_MS 10000u
/* The tender's messages start with its name (err(3) and friends). */
#define TENDER_LINE "solo5-hvt: "

/* The tender's lines that refuse a guest's call by ending it, which an ABI
 * may mean (hvt.h hvt_checked_gpa_p; hvt_kvm_x86_64.c's port checks); any
 * other line of a tender that exits is the tender failing (an unhandled
 * exit, an I/O error on its device), which no spec can excuse. */
static const char *const refusals[] = {
	"Invalid guest access", "Invalid guest port access", "Invalid guest hypercall",
};
/* Lines of a failing tender without its name (hvt_module_blk.c's). */
#define TENDER_FATAL "Fatal error"

struct solo5_target {
	struct hcf_target base;
	struct hcf_target_opts opts;
	struct hcf_engine eng;
	struct hcf_target_info info;
	struct hcf_qemu_proc proc;   /* the tender: its stderr and the guest's console */
	const char *tender;
	int agent_fd, image_fd;      /* memfds the tender opens as /proc/PID/fd/N */
	uint64_t capacity;
	uint8_t *scratch;            /* the guest's memory until the tender's is mapped */
	uint8_t *mem;                /* the tender's guest memory, mapped at READY */
	/* The guest's memory as the last program left it (as the boot did, at
	 * first): a page that differs afterwards is one the program changed,
	 * the dirty log this target has no other way to keep. */
	uint8_t *snap;
	struct hcf_elf_info elf;     /* the agent's segments: which pages it writes */
	bool mapped;
	struct hcf_gmem gmem;
	int bell_fd;                 /* the tender's stdout (read end) */
	uint8_t buf[256];            /* stdout bytes not yet a frame or console */
	size_t nbuf;
};

#define S(t) ((struct solo5_target *)(t))

/* ---- the tender, the process ------------------------------------------------ */

static void tender_stop(struct solo5_target *s)
{
	hcf_qemu_stop(&s->proc);
	if (s->bell_fd >= 0)
		close(s->bell_fd);
	s->bell_fd = -1;
	s->nbuf = 0;
	if (s->mem)
		munmap(s->mem, HCF_GUEST_MEM_SIZE);
	s->mem = NULL;
	s->mapped = false;
	s->gmem.host = s->scratch;
}

static int tender_start(struct solo5_target *s, char *err, size_t errlen)
{
	char mem[16], block[64], agent[48];
	snprintf(mem, sizeof(mem), "--mem=%u", (unsigned)MEM_MIB);
	snprintf(block, sizeof(block), "--block:storage=/proc/%d/fd/%d", (int)getpid(), s->image_fd);
	snprintf(agent, sizeof(agent), "/proc/%d/fd/%d", (int)getpid(), s->agent_fd);
	const char *args[] = { mem, block, agent, NULL };
	int bell[2];
	if (pipe2(bell, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	s->proc.stdout_fd = bell[1];
	int rc = hcf_qemu_spawn(&s->proc, args, NULL, 0, err, errlen);
	close(bell[1]);
	s->proc.stdout_fd = 0;
	if (rc != 0) {
		close(bell[0]);
		return -1;
	}
	s->bell_fd = bell[0];
	s->nbuf = 0;
	return 0;
}

/*
 * The tender's guest memory: its shared anonymous mapping ("/dev/zero
 * (deleted)" in its maps; the tender splits it, making the guest's code
 * read-only on its side), whose first piece this process opens through
 * map_files: the whole object, of exactly the guest's size, mapped here.
 * 0, or -1 with why.
 */
static int map_guest_memory(struct solo5_target *s, char *why, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)s->proc.pid);
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	char line[512];
	uint64_t lo = 0, hi = 0, off = 1;
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		char perms[8] = "", name[256] = "";
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %255[^\n]", &lo, &hi,
			   perms, &off, name) == 5 &&
		    off == 0 && perms[3] == 's' && strstr(name, "/dev/zero"))
			found = true;
	}
	fclose(f);
	if (!found) {
		snprintf(why, len, "the tender (pid %d) has no shared mapping of guest memory",
			 (int)s->proc.pid);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)s->proc.pid, lo,
		 hi);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "%s: %s (mapping another process's memory needs CAP_SYS_ADMIN or "
				   "CAP_CHECKPOINT_RESTORE)", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size != HCF_GUEST_MEM_SIZE) {
		snprintf(why, len, "the tender's guest memory is %lld bytes, not %u MiB",
			 (long long)st.st_size, (unsigned)MEM_MIB);
		close(fd);
		return -1;
	}
	s->mem = mmap(NULL, HCF_GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (s->mem == MAP_FAILED) {
		s->mem = NULL;
		snprintf(why, len, "mapping the tender's guest memory: %s", strerror(errno));
		return -1;
	}
	s->gmem.host = s->mem;
	s->mapped = true;
	hcf_engine_mbox_init(&s->eng);
	return 0;
}

/* ---- the channel ------------------------------------------------------------ */

static const struct hcf_gmem *chan_mem(void *ctx)
{
	return &((struct solo5_target *)ctx)->gmem;
}

/* The first line of the tender's own messages in this boot's log. */
static bool tender_line(const struct solo5_target *s, char *out, size_t len)
{
	return hcf_qemu_log_line(&s->proc, TENDER_LINE, out, len) ||
	       hcf_qemu_log_line(&s->proc, TENDER_FATAL, out, len);
}

/* The tender ended (its stdout closed): how, as the guest's end. */
static void tender_ended(struct solo5_target *s, struct hcf_chan_event *ev)
{
	int status = 0;
	char line[200] = "";
	ev->kind = HCF_CEV_LOST;
	if (!hcf_qemu_reap(&s->proc, 2000, &status)) {
		ev->lost = HCF_LIVE_VMM_GONE;
		snprintf(ev->detail, sizeof(ev->detail), "the tender (pid %d) closed its stdout and "
							 "still runs", (int)s->proc.pid);
		return;
	}
	bool said = tender_line(s, line, sizeof(line));
	if (WIFSIGNALED(status)) {
		ev->lost = HCF_LIVE_VMM_GONE;
		snprintf(ev->detail, sizeof(ev->detail), "the tender was killed by signal %d%s%s",
			 WTERMSIG(status), said ? ": " : "", line);
	} else if (said) {
		bool refused = false;
		for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
			refused |= strstr(line, refusals[i]) != NULL;
		ev->lost = refused ? HCF_LIVE_REFUSED : HCF_LIVE_VMM_GONE;
		snprintf(ev->detail, sizeof(ev->detail), "the tender %s (status %d): %s",
			 refused ? "refused the call and exited" : "failed and exited",
			 WEXITSTATUS(status), line);
	} else {
		ev->lost = HCF_LIVE_HALT;
		snprintf(ev->detail, sizeof(ev->detail), "the guest halted: the tender exited with its "
							 "status %d", WEXITSTATUS(status));
	}
}

/* Console bytes (a program's PUTS) before a frame go to the log. */
static void to_console(struct solo5_target *s, size_t n)
{
	if (n && write(s->proc.log_fd, s->buf, n) < 0) {
		/* the log is a memfd: losing console bytes loses no verdict */
	}
	memmove(s->buf, s->buf + n, s->nbuf - n);
	s->nbuf -= n;
}

/* A whole frame in the buffer, after whatever console bytes come first:
 * 1 (ev set), 0: more bytes needed, -1: the channel failed (ev set). */
static int take_frame(struct solo5_target *s, struct hcf_chan_event *ev)
{
	static const uint32_t magic = HCF_FRAME_MAGIC;
	for (;;) {
		size_t at = 0;
		while (at + sizeof(magic) <= s->nbuf && memcmp(s->buf + at, &magic, sizeof(magic)))
			at++;
		if (at + sizeof(magic) > s->nbuf) /* keep a partial magic at the end */
			at = s->nbuf >= sizeof(magic) - 1 ? s->nbuf - (sizeof(magic) - 1) : 0;
		to_console(s, at);
		struct hcf_frame f;
		char why[160];
		switch (hcf_frame_parse(s->buf, s->nbuf, &f, why, sizeof(why))) {
		case HCF_FRAME_NEED:
			if (s->nbuf == sizeof(s->buf))
				to_console(s, 1);
			return 0;
		case HCF_FRAME_GARBAGE:
			to_console(s, 1); /* the magic in a program's console: not a frame */
			continue;
		case HCF_FRAME_OK:
			break;
		}
		/* A program's PUTS of guest memory can replay an old frame the
		 * agent left on its stack: a frame answers the command in
		 * flight (its seq), or it is console. Only the boot's READY,
		 * before any program, answers none. */
		bool ready = f.event == HCF_EV_READY && !s->mapped;
		if (!ready && f.seq != (uint32_t)s->eng.seq) {
			to_console(s, 1);
			continue;
		}
		memmove(s->buf, s->buf + sizeof(f), s->nbuf - sizeof(f));
		s->nbuf -= sizeof(f);
		ev->kind = HCF_CEV_DOORBELL;
		ev->value = f.event;
		if (f.event == HCF_EV_READY && !s->mapped &&
		    map_guest_memory(s, ev->detail, sizeof(ev->detail)) != 0) {
			ev->kind = HCF_CEV_HOST_ERROR;
			return -1;
		}
		return 1;
	}
}

static int take_frame_cb(void *ctx, struct hcf_chan_event *ev)
{
	return take_frame(ctx, ev);
}

/* The stream ended: the rest of it is console, the tender's end the loss. */
static void stream_ended(void *ctx, struct hcf_chan_event *ev)
{
	struct solo5_target *s = ctx;
	to_console(s, s->nbuf);
	tender_ended(s, ev);
}

static void chan_wait(void *ctx, unsigned timeout_ms, struct hcf_chan_event *ev)
{
	struct solo5_target *s = ctx;
	memset(ev, 0, sizeof(*ev));
	if (s->proc.pid <= 0 || s->bell_fd < 0) {
		ev->kind = HCF_CEV_HOST_ERROR;
		snprintf(ev->detail, sizeof(ev->detail), "the tender is not running");
		return;
	}
	const struct hcf_stream st = {
		.fd = s->bell_fd, .buf = s->buf, .nbuf = &s->nbuf, .cap = sizeof(s->buf), .ctx = s,
		.take = take_frame_cb, .ended = stream_ended,
	};
	hcf_stream_wait(&st, timeout_ms, ev);
}

static void chan_examine(void *ctx, struct hcf_chan_event *ev, bool *has_rip, uint64_t *rip)
{
	struct solo5_target *s = ctx;
	*has_rip = false;
	*rip = 0;
	if (ev->kind != HCF_CEV_TIMEOUT)
		return;
	/* from outside the tender this process cannot see where the vCPU is */
	size_t used = strlen(ev->detail);
	ev->lost = HCF_LIVE_HANG;
	snprintf(ev->detail + used, sizeof(ev->detail) - used, "%sthe tender (pid %d) sent no frame",
		 used ? "; " : "", (int)s->proc.pid);
}

/* Pages the agent itself writes: its stacks and its data. */
static bool page_agent_writes(const struct solo5_target *s, uint64_t gpa)
{
	if (hcf_km_page_stack(gpa))
		return true;
	for (size_t i = 0; i < s->elf.nsegs; i++)
		if (s->elf.segs[i].writable && gpa >= s->elf.segs[i].lo && gpa < s->elf.segs[i].hi)
			return true;
	return false;
}

/*
 * The pages the program changed, against the memory the last program left:
 * every stray page (the tender writing where no call of the program points
 * it), and after a lost guest (with_agent) the agent's own too. Then the
 * record moves on, so that the next program is judged on its own writes.
 */
static void chan_changed_pages(void *ctx, struct hcf_prog_result *r, bool with_agent)
{
	struct solo5_target *s = ctx;
	if (!s->mapped)
		return;
	r->pages_checked = true;
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t gpa = 0; gpa < HCF_GUEST_MEM_SIZE; gpa += 4096) {
			bool agent = page_agent_writes(s, gpa);
			if (hcf_km_page_unjudged(gpa) || agent != (pass == 1))
				continue;
			if (!agent || with_agent)
				hcf_result_note_page(r, gpa, s->snap + gpa, s->mem + gpa, agent);
			memcpy(s->snap + gpa, s->mem + gpa, 4096);
		}
}

static const struct hcf_channel_ops solo5_channel = {
	.mem = chan_mem,
	.wait = chan_wait,
	.examine = chan_examine,
	.changed_pages = chan_changed_pages,
};

/* ---- boot ---------------------------------------------------------------------- */

/* The block image back to zeros: every program starts from the device the
 * model starts from (the tender reads and writes it per call, no cache). */
static int image_reset(struct solo5_target *s)
{
	return ftruncate(s->image_fd, 0) == 0 && ftruncate(s->image_fd, (off_t)s->capacity) == 0 ? 0 :
												    -1;
}

static int boot(struct solo5_target *s, char *err, size_t errlen)
{
	s->gmem.host = s->scratch;
	memset(s->scratch, 0, HCF_GUEST_MEM_SIZE);
	hcf_engine_mbox_init(&s->eng);
	if (image_reset(s) != 0) {
		snprintf(err, errlen, "the block image: %s", strerror(errno));
		return -1;
	}
	if (tender_start(s, err, errlen) != 0)
		return -1;
	struct hcf_boot probe;
	if (hcf_engine_boot(&s->eng, BOOT_TIMEOUT_MS, &probe, err, errlen) != 0) {
		hcf_qemu_append_tail(&s->proc, "tender", err, errlen);
		tender_stop(s);
		return -1;
	}
	memcpy(s->snap, s->mem, HCF_GUEST_MEM_SIZE); /* the agent parked: what programs start from */
	struct hcf_target_info *ti = &s->info;
	hcf_engine_take_ids(ti, &probe);
	ti->rflags_captured = HCF_X86_RFLAGS_ARCH;
	/* on PVM the agent left the emulator (its VIF page): the guest kernel
	 * runs at CPL3, where popf cannot clear IF (as on the kvm target) */
	if (probe.native)
		ti->rflags_captured &= ~HCF_X86_RFLAGS_IF;
	snprintf(ti->target, sizeof(ti->target), "solo5");
	snprintf(ti->hypervisor, sizeof(ti->hypervisor), "solo5-hvt");
	char dev[64] = "none";
	for (size_t i = 0; i < ti->ndevices; i++)
		if (ti->devices[i].type == HCF_DEV_BLOCK)
			snprintf(dev, sizeof(dev), "%s=%" PRIu64 "x%u", ti->devices[i].name,
				 ti->devices[i].capacity / (ti->devices[i].block_size ?
								    ti->devices[i].block_size : 1),
				 ti->devices[i].block_size);
	/* devices=reset: a reset zeroes the image again, so a model may keep
	 * the device's boot contents across it (model_solo5_hvt.c) */
	snprintf(ti->facts, sizeof(ti->facts), "mem=%uM block=%s devices=reset pvm-native=%s",
		 (unsigned)MEM_MIB, dev, probe.native ? "yes" : "no");
	if (s->base.abi)
		s->eng.wire_xport = hcf_xport_wire(&s->base.abi->transport, ti->cpu_vendor);
	return 0;
}

static int rebuild(struct solo5_target *s)
{
	char err[512];
	for (int attempt = 0; attempt < 2; attempt++) {
		tender_stop(s);
		s->info.rebuilds++;
		if (boot(s, err, sizeof(err)) == 0)
			return 0;
	}
	fprintf(stderr, "hcfuzz: solo5: starting the tender again failed: %s\n", err);
	return -1;
}

/* ---- the target ---------------------------------------------------------------- */

static int solo5_run(struct hcf_target *t, const struct hcf_prog *p, struct hcf_prog_result *r)
{
	struct solo5_target *s = S(t);
	if (s->proc.pid <= 0 && rebuild(s) != 0) {
		hcf_engine_not_run(p, r, "the tender is not running: starting it again failed");
		return -1;
	}
	if (p->abi != t->abi) {
		hcf_engine_not_run(p, r, "program for another ABI than the target was opened for");
		return -1;
	}
	bool lost;
	if (hcf_engine_run(&s->eng, p, r, &lost) != 0) {
		tender_stop(s);
		return -1;
	}
	if (lost || hcf_prog_has_destructive(p))
		tender_stop(s); /* the next program gets a fresh tender */
	return 0;
}

static int solo5_reset(struct hcf_target *t)
{
	struct solo5_target *s = S(t);
	if (s->proc.pid <= 0)
		return rebuild(s);
	s->info.resets++;
	/* the agent is parked at its mailbox; the device starts empty again */
	return image_reset(s);
}

static void solo5_close(struct hcf_target *t)
{
	struct solo5_target *s = S(t);
	if (!s)
		return;
	tender_stop(s);
	hcf_qemu_proc_close(&s->proc);
	if (s->scratch)
		munmap(s->scratch, HCF_GUEST_MEM_SIZE);
	free(s->snap);
	if (s->agent_fd >= 0)
		close(s->agent_fd);
	if (s->image_fd >= 0)
		close(s->image_fd);
	free(s);
}

static const struct hcf_target_info *solo5_info(struct hcf_target *t)
{
	return &S(t)->info;
}

static int solo5_empty_round_trip(struct hcf_target *t, double *seconds)
{
	return hcf_engine_empty(&S(t)->eng, seconds);
}

static int solo5_raw_loop(struct hcf_target *t, const struct hcf_prog *p, uint64_t iterations,
			  double *seconds)
{
	return hcf_engine_raw_loop(&S(t)->eng, p, iterations, seconds);
}

static int solo5_save_console(struct hcf_target *t, const char *path)
{
	return hcf_qemu_log_save(&S(t)->proc, path);
}

/* The tender: tender=PATH, else the one the build made (ci/build-solo5.sh). */
static const char *tender_binary(const struct hcf_target_opts *opts)
{
	const char *p = hcf_target_param(opts, "tender");
	if (p && *p)
		return p;
#ifdef HCF_SOLO5_DEFAULT
	return HCF_SOLO5_DEFAULT;
#else
	return "solo5-hvt";
#endif
}

/* CAP_SYS_ADMIN (21) or CAP_CHECKPOINT_RESTORE (40) in the effective set:
 * what opening another process's map_files needs. */
static bool may_map_other_memory(void)
{
	char line[256];
	bool ok = false;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long caps;
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			ok = (caps >> 21 & 1) || (caps >> 40 & 1);
	}
	if (f)
		fclose(f);
	return ok;
}

static int solo5_available(const struct hcf_target_opts *opts, char *why, size_t len)
{
	const char *tender = tender_binary(opts);
	if (access(tender, X_OK) != 0) {
		snprintf(why, len, "no Solo5 tender at %s (--target-opt tender=PATH names yours; "
				   "ninja -C build solo5 builds one from Solo5's source tarball)", tender);
		return -1;
	}
	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		snprintf(why, len, "the tender needs /dev/kvm: %s", strerror(errno));
		return -1;
	}
	if (!may_map_other_memory()) {
		snprintf(why, len, "mapping the tender's guest memory needs CAP_SYS_ADMIN or "
				   "CAP_CHECKPOINT_RESTORE (/proc/PID/map_files)");
		return -1;
	}
	return 0;
}

/* A memfd holding len bytes at data (or empty), -1 with err. */
static int memfd_with(const char *name, const void *data, size_t len, char *err, size_t errlen)
{
	int fd = memfd_create(name, 0);
	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len)) {
		snprintf(err, errlen, "%s (memfd): %s", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int solo5_open(struct hcf_target **out, const struct hcf_abi *abi,
		      const struct hcf_target_opts *opts, char *err, size_t errlen)
{
	*out = NULL;
	static const char *const params[] = { "tender", "capacity", NULL };
	if (hcf_target_params_check(opts, "solo5", params, err, errlen) != 0)
		return -1;
	struct solo5_target *s = hcf_xcalloc(1, sizeof(*s));
	s->base.ops = &hcf_target_solo5_ops;
	s->base.abi = abi;
	s->opts = *opts;
	s->bell_fd = s->agent_fd = s->image_fd = -1;
	s->proc.pid = -1;
	s->proc.log_fd = -1;
	s->capacity = BLOCK_CAPACITY_DEFAULT;
	const char *cap = hcf_target_param(opts, "capacity");
	if (cap) {
		char *end;
		unsigned long long v = strtoull(cap, &end, 0);
		if (*end || v < 512 || v > (1ull << 30) || v % 512) {
			snprintf(err, errlen, "solo5: capacity=%s: bytes, a multiple of 512 up to 1 GiB",
				 cap);
			free(s);
			return -1;
		}
		s->capacity = v;
	}
	if (solo5_available(opts, err, errlen) != 0 ||
	    hcf_qemu_proc_init(&s->proc, opts, err, errlen) != 0) {
		solo5_close(&s->base);
		return -1;
	}
	s->tender = tender_binary(opts);
	s->proc.binary = s->tender;
	s->scratch = mmap(NULL, HCF_GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if (s->scratch == MAP_FAILED) {
		s->scratch = NULL;
		snprintf(err, errlen, "memory: %s", strerror(errno));
		solo5_close(&s->base);
		return -1;
	}
	s->gmem.host = s->scratch;
	s->gmem.size = HCF_GUEST_MEM_SIZE;
	s->snap = hcf_xmalloc(HCF_GUEST_MEM_SIZE);
	hcf_engine_init(&s->eng, (struct hcf_channel){ .ops = &solo5_channel, .ctx = s },
			opts->watchdog_ms ? opts->watchdog_ms : HCF_WATCHDOG_DEFAULT_MS);
	s->eng.timing = opts->timing;
	const uint8_t *image = hcf_agent_hvt_elf;
	size_t len = (size_t)(hcf_agent_hvt_elf_end - hcf_agent_hvt_elf);
	char *file = NULL;
	if (opts->agent_path) {
		file = hcf_read_file(opts->agent_path, 16u << 20, &len);
		if (!file) {
			snprintf(err, errlen, "agent %s: %s", opts->agent_path, strerror(errno));
			solo5_close(&s->base);
			return -1;
		}
		image = (const uint8_t *)file;
	}
	/* where its segments lie, loaded into the scratch memory (which every
	 * boot clears) */
	int elf_rc = hcf_elf_load(image, len, &s->gmem, HCF_GPA_AGENT, HCF_GPA_MBOX, &s->elf, err,
				  errlen);
	s->agent_fd = elf_rc == 0 ? memfd_with("hcf-agent-hvt", image, len, err, errlen) : -1;
	free(file);
	s->image_fd = memfd_with("hcf-solo5-storage", NULL, 0, err, errlen);
	if (s->agent_fd < 0 || s->image_fd < 0 || boot(s, err, errlen) != 0) {
		solo5_close(&s->base);
		return -1;
	}
	snprintf(s->info.notes, sizeof(s->info.notes),
		 "Solo5 tender %s, %u MiB, block device \"storage\" of %" PRIu64 " bytes (an image "
		 "zeroed before every program); channel: the tender's guest memory mapped here, "
		 "doorbell frames through HVT_HYPERCALL_PUTS on its stdout; changed pages found against "
		 "the memory the last program left (no dirty log); vector capture off",
		 s->tender, (unsigned)MEM_MIB, s->capacity);
	*out = &s->base;
	return 0;
}

const struct hcf_target_ops hcf_target_solo5_ops = {
	.name = "solo5",
	.summary = "the agent as the guest of a Solo5 hvt tender (tender=PATH), one tender for many "
		   "programs",
	.open = solo5_open,
	.run = solo5_run,
	.reset = solo5_reset,
	.close = solo5_close,
	.info = solo5_info,
	.raw_loop = solo5_raw_loop,
	.empty_round_trip = solo5_empty_round_trip,
	.save_console = solo5_save_console,
	.available = solo5_available,
};
