/*
 * target_nested.c: upstream Linux KVM as a target, nested inside QEMU TCG
 * ("kvm-nested").
 *
 * QEMU's -cpu max offers SVM, so Debian's kernel with kvm.ko and kvm-amd.ko
 * has a /dev/kvm of its own. The initramfs this target builds holds only the
 * modules and a static runner (harness/nested/runner.c) that opens the same
 * in-process kvm target hcfuzz runs on the host, on that /dev/kvm. One
 * machine boots per run and serves every program: this side sends the spec
 * once and each program as text over QEMU's second serial port, the runner
 * answers with the result (target/nested_wire.h). The kvm target inside
 * resets and rebuilds its own VM after destructive calls, as it does on the
 * host.
 *
 * The nested machine is the hypervisor under test: whatever ends it (a
 * kernel panic in KVM, QEMU dying) is the hypervisor's crash, with the tail
 * of the kernel's console as evidence; a machine that stops answering is a
 * hang; anything on the channel that does not decode is a protocol
 * violation. After each of them the next program boots a fresh machine.
 */
#include "target/target.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "target/engine.h"
#include "target/nested_wire.h"
#include "target/qemu_proc.h"
#include "util/clock.h"
#include "util/cpio.h"
#include "util/fileio.h"
#include "util/interrupt.h"
#include "util/xalloc.h"

#define MEM_MIB_DEFAULT 512u
#define BOOT_TIMEOUT_MS 240000u   /* to /dev/kvm: about 12 s quiet, several times that on a busy CI */
#define OPEN_TIMEOUT_MS 120000u   /* the kvm target's first VM, under nested SVM in TCG */
#define REQUEST_SLACK_MS 30000u   /* on top of the watchdog per call, for a slow machine */
#define SPEC_FILE_MAX (4u << 20)

struct nested_target {
	struct hcf_target base;
	struct hcf_target_opts opts;
	struct hcf_target_info info;
	struct hcf_qemu_proc proc;
	const char *kernel_dir;      /* vmlinuz and kvm-modules (ci/fetch-linux.sh) */
	const char *runner;          /* the static runner, /init */
	unsigned mem_mib;
	int initrd_fd;               /* the initramfs (a memfd QEMU opens as fd 4) */
	int chan_fd;                 /* this end of the channel (-1: no machine) */
	struct hcf_nmsg_reader in;
	uint32_t seq;
	struct hcf_wbuf open_msg;    /* the spec and options, sent to every machine */
	char release[65];            /* the guest kernel's */
	double boot_seconds;         /* QEMU started to /dev/kvm open, last boot */
	bool pvh;                    /* booted the uncompressed vmlinux through its PVH note */
	uint64_t restarts;           /* machines booted after the first */
	struct hcf_target_info inner;/* what the runner's kvm target says */
	/* counted by machines gone before */
	uint64_t past_resets, past_pages, past_restores, past_restores_failed, past_rebuilds;
};

#define N(t) ((struct nested_target *)(t))

/* ---- the initramfs ------------------------------------------------------------ */

static const char *kernel_dir(const struct hcf_target_opts *opts)
{
	const char *p = hcf_target_param(opts, "kernel");
	if (p && *p)
		return p;
#ifdef HCF_LINUX_CACHE_DEFAULT
	return HCF_LINUX_CACHE_DEFAULT;
#else
	return "cache/linux";
#endif
}

static const char *runner_path(const struct hcf_target_opts *opts)
{
	const char *p = hcf_target_param(opts, "runner");
	if (p && *p)
		return p;
#ifdef HCF_NESTED_RUNNER_DEFAULT
	return HCF_NESTED_RUNNER_DEFAULT;
#else
	return "hcfuzz-nested-runner";
#endif
}

/* "/x/kvm-amd.ko" -> "kvm-amd" */
static void module_name(const char *path, char *out, size_t len)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 3 && !strcmp(base + n - 3, ".ko"))
		n -= 3;
	snprintf(out, len, "%.*s", (int)n, base);
}

/*
 * /init (the runner), hcf/modules (the names in load order) and hcf/NAME.ko
 * for each line of kernel_dir/kvm-modules, into a memfd.
 */
static int build_initrd(struct nested_target *n, char *err, size_t errlen)
{
	char listpath[4096];
	snprintf(listpath, sizeof(listpath), "%s/kvm-modules", n->kernel_dir);
	size_t len;
	char *list = hcf_read_file(listpath, 1 << 16, &len);
	char *init = list ? hcf_read_file(n->runner, 64u << 20, &len) : NULL;
	if (!list || !init) {
		snprintf(err, errlen, "%s: %s", list ? n->runner : listpath, strerror(errno));
		free(list);
		return -1;
	}
	size_t initlen = len;
	n->initrd_fd = memfd_create("hcf-nested-initrd", 0);
	FILE *f = n->initrd_fd >= 0 ? fdopen(dup(n->initrd_fd), "w") : NULL;
	if (!f) {
		snprintf(err, errlen, "the initramfs (memfd): %s", strerror(errno));
		free(list);
		free(init);
		return -1;
	}
	struct hcf_cpio c;
	hcf_cpio_begin(&c, f);
	hcf_cpio_dir(&c, "hcf", 0755);
	hcf_cpio_dir(&c, "dev", 0755);
	hcf_cpio_dir(&c, "proc", 0555);
	hcf_cpio_file(&c, "init", 0755, init, initlen);
	free(init);
	struct hcf_wbuf names = { 0 };
	int rc = 0;
	for (char *save = NULL, *path = strtok_r(list, "\n", &save); path && rc == 0;
	     path = strtok_r(NULL, "\n", &save)) {
		char name[128], entry[160];
		module_name(path, name, sizeof(name));
		size_t klen;
		char *ko = hcf_read_file(path, 64u << 20, &klen);
		if (!ko) {
			snprintf(err, errlen, "%s (listed in %s): %s", path, listpath, strerror(errno));
			rc = -1;
			break;
		}
		snprintf(entry, sizeof(entry), "hcf/%s.ko", name);
		hcf_cpio_file(&c, entry, 0644, ko, klen);
		free(ko);
		hcf_wbuf_bytes(&names, name, strlen(name));
		hcf_wbuf_u8(&names, '\n');
	}
	free(list);
	if (rc == 0) {
		hcf_cpio_file(&c, "hcf/modules", 0644, names.p, names.len);
		if (hcf_cpio_end(&c) != 0 || fflush(f) != 0) {
			snprintf(err, errlen, "writing the initramfs: %s", strerror(errno));
			rc = -1;
		}
	}
	fclose(f);
	hcf_wbuf_free(&names);
	return rc;
}

/* ---- the spec, as the runner gets it ---------------------------------------- */

static bool spec_file_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && ((n > 4 && !strcmp(name + n - 4, ".yml")) ||
				  (n > 5 && !strcmp(name + n - 5, ".yaml")));
}

static int put_file(struct hcf_wbuf *w, const char *path, const char *name, char *err, size_t errlen)
{
	size_t len;
	char *text = hcf_read_file(path, SPEC_FILE_MAX, &len);
	if (!text) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	hcf_wbuf_str(w, name);
	hcf_wbuf_blob(w, text, len);
	free(text);
	return 0;
}

/* OPEN: u32 watchdog ms, u8 timing, u8 vectors, u8 is-directory, str name,
 * u32 files, (str name, blob text) per file: the files the spec was loaded
 * from, so the runner loads the very same. */
static int build_open(struct nested_target *n, char *err, size_t errlen)
{
	const char *path = n->base.abi->path;
	struct stat st;
	if (!path || stat(path, &st) != 0) {
		snprintf(err, errlen, "the spec's file %s: %s", path ? path : "(none)", strerror(errno));
		return -1;
	}
	struct hcf_wbuf *w = &n->open_msg;
	hcf_wbuf_u32(w, n->opts.watchdog_ms ? n->opts.watchdog_ms : HCF_WATCHDOG_DEFAULT_MS);
	hcf_wbuf_u8(w, n->opts.timing);
	hcf_wbuf_u8(w, n->opts.want_vec);
	bool is_dir = S_ISDIR(st.st_mode);
	hcf_wbuf_u8(w, is_dir);
	size_t namelen, start = hcf_path_base(path, &namelen), end = start + namelen;
	char name[128];
	snprintf(name, sizeof(name), "%.*s", (int)namelen, path + start);
	hcf_wbuf_str(w, name);
	if (!is_dir) {
		hcf_wbuf_u32(w, 1);
		return put_file(w, path, name, err, errlen);
	}
	DIR *d = opendir(path);
	if (!d) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t at = w->len;
	hcf_wbuf_u32(w, 0); /* the count, known at the end */
	uint32_t count = 0;
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		if (!spec_file_name(de->d_name))
			continue;
		char file[4096];
		snprintf(file, sizeof(file), "%.*s/%s", (int)end, path, de->d_name);
		rc = put_file(w, file, de->d_name, err, errlen);
		count++;
	}
	closedir(d);
	for (int i = 0; i < 4; i++)
		w->p[at + (size_t)i] = (uint8_t)(count >> (8 * i));
	return rc;
}

/* ---- the channel ------------------------------------------------------------- */

enum wait_status { WAIT_OK, WAIT_ERROR_REPLY, WAIT_TIMEOUT, WAIT_GONE, WAIT_GARBAGE, WAIT_INTERRUPTED, WAIT_HOST };

/*
 * The reply to request seq, of type want (or an ERROR), within timeout_ms.
 * On WAIT_OK and WAIT_ERROR_REPLY, *head and *payload are the message (dropped by
 * the caller); otherwise why says what happened.
 */
static enum wait_status wait_reply(struct nested_target *n, uint32_t want, uint32_t seq,
				   unsigned timeout_ms, struct hcf_nmsg_head *head,
				   const uint8_t **payload, char *why, size_t whylen)
{
	uint64_t deadline = hcf_now_ns() + (uint64_t)timeout_ms * 1000000u;
	for (;;) {
		switch (hcf_nmsg_take(&n->in, head, payload, why, whylen)) {
		case HCF_NMSG_GARBAGE:
			return WAIT_GARBAGE;
		case HCF_NMSG_OK:
			if (head->seq == seq && (head->type == want || head->type == HCF_NM_ERROR))
				return head->type == want ? WAIT_OK : WAIT_ERROR_REPLY;
			snprintf(why, whylen, "a %s message (sequence %u) when a %s for %u was due",
				 hcf_nmsg_type_name(head->type), head->seq, hcf_nmsg_type_name(want), seq);
			return WAIT_GARBAGE;
		case HCF_NMSG_NEED:
			break;
		}
		if (hcf_interrupted())
			return WAIT_INTERRUPTED;
		uint64_t now = hcf_now_ns();
		if (now >= deadline) {
			snprintf(why, whylen, "no %s within %u ms", hcf_nmsg_type_name(want), timeout_ms);
			return WAIT_TIMEOUT;
		}
		uint64_t left_ms = (deadline - now + 999999u) / 1000000u;
		struct pollfd pfd = { .fd = n->chan_fd, .events = POLLIN };
		int rc = poll(&pfd, 1, left_ms > 100 ? 100 : (int)left_ms);
		if (rc < 0 && errno != EINTR) {
			snprintf(why, whylen, "poll: %s", strerror(errno));
			return WAIT_HOST;
		}
		if (rc <= 0)
			continue;
		ssize_t got = read(n->chan_fd, hcf_nmsg_room(&n->in, 65536), 65536);
		if (got > 0) {
			n->in.len += (size_t)got;
			continue;
		}
		if (got < 0 && errno == EINTR)
			continue;
		snprintf(why, whylen, "the channel closed");
		return WAIT_GONE;
	}
}

static void machine_stop(struct nested_target *n)
{
	hcf_qemu_stop(&n->proc);
	if (n->chan_fd >= 0)
		close(n->chan_fd);
	n->chan_fd = -1;
	n->in.len = 0;
}

/* What ended the machine, for a verdict: QEMU's status and the console. */
static void machine_gone(struct nested_target *n, char *out, size_t len)
{
	char how[48], tail[HCF_QEMU_LOG_TAIL + 200];
	hcf_qemu_ended(&n->proc, 2000, how, sizeof(how));
	hcf_qemu_log_evidence(&n->proc, tail, sizeof(tail));
	snprintf(out, len, "the nested machine ended (QEMU %s)%s%s", how, tail[0] ? ": " : "", tail);
	machine_stop(n);
}

/* Send a request; false when the machine is gone (why says how). */
static bool request(struct nested_target *n, enum hcf_nmsg_type type, const struct hcf_wbuf *w,
		    char *why, size_t whylen)
{
	n->seq++;
	if (hcf_nmsg_send(n->chan_fd, type, n->seq, w ? w->p : NULL, w ? w->len : 0) == 0)
		return true;
	machine_gone(n, why, whylen);
	return false;
}

/* ---- boot ---------------------------------------------------------------------- */

static int machine_start(struct nested_target *n, char *err, size_t errlen)
{
	char kernel[4096], mem[16];
	/* the uncompressed kernel through its PVH note when the cache has it:
	 * TCG takes about 9 s to decompress the bzImage */
	snprintf(kernel, sizeof(kernel), "%s/vmlinux", n->kernel_dir);
	n->pvh = access(kernel, R_OK) == 0;
	if (!n->pvh)
		snprintf(kernel, sizeof(kernel), "%s/vmlinuz", n->kernel_dir);
	snprintf(mem, sizeof(mem), "%uM", n->mem_mib);
	const char *args[] = {
		"-nodefaults", "-nographic", "-monitor", "none", "-no-reboot",
		"-M", "pc", "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", mem,
		"-kernel", kernel, "-initrd", "/proc/self/fd/4",
		"-append", "console=ttyS0 quiet panic=-1",
		"-chardev", "file,id=con,path=/dev/fd/2,append=on", "-serial", "chardev:con",
		"-chardev", "socket,id=chan,fd=3", "-serial", "chardev:chan",
		NULL,
	};
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	int fds[2] = { sv[1], n->initrd_fd };
	uint64_t t0 = hcf_now_ns();
	int rc = hcf_qemu_spawn(&n->proc, args, fds, 2, err, errlen);
	close(sv[1]);
	if (rc != 0) {
		close(sv[0]);
		return -1;
	}
	n->chan_fd = sv[0];
	n->in.len = 0;
	n->seq = 0;

	struct hcf_nmsg_head head;
	const uint8_t *payload;
	char why[512];
	enum wait_status ws = wait_reply(n, HCF_NM_HELLO, 0, BOOT_TIMEOUT_MS, &head, &payload, why,
					 sizeof(why));
	if (ws == WAIT_GONE)
		machine_gone(n, why, sizeof(why));
	if (ws != WAIT_OK) {
		char tail[HCF_QEMU_LOG_TAIL + 1];
		hcf_qemu_log_tail(&n->proc, tail, sizeof(tail));
		snprintf(err, errlen, "the nested machine did not come up: %s%s%s", why,
			 ws != WAIT_GONE && tail[0] ? "; console: " : "", ws != WAIT_GONE ? tail : "");
		machine_stop(n);
		return -1;
	}
	struct hcf_rbuf r;
	hcf_rbuf_init(&r, payload, head.len);
	hcf_rbuf_str(&r, n->release, sizeof(n->release));
	int api = (int)hcf_rbuf_u32(&r);
	hcf_rbuf_u64(&r); /* the guest's own clock at that moment */
	hcf_rbuf_end(&r);
	hcf_nmsg_drop(&n->in, &head);
	n->boot_seconds = (double)(hcf_now_ns() - t0) / 1e9;
	if (r.bad || api != KVM_API_VERSION) {
		snprintf(err, errlen, "the nested machine's hello: %s",
			 r.bad ? r.why : "no /dev/kvm (the modules did not load: see its console)");
		machine_stop(n);
		return -1;
	}

	if (!request(n, HCF_NM_OPEN, &n->open_msg, why, sizeof(why))) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	ws = wait_reply(n, HCF_NM_OPENED, n->seq, OPEN_TIMEOUT_MS, &head, &payload, why, sizeof(why));
	if (ws == WAIT_OK || ws == WAIT_ERROR_REPLY) {
		hcf_rbuf_init(&r, payload, head.len);
		if (ws == WAIT_OK) {
			/* the machine before this one counted what it counted */
			n->past_resets += n->inner.resets;
			n->past_pages += n->inner.pages_restored;
			n->past_restores += n->inner.restores;
			n->past_restores_failed += n->inner.restores_failed;
			n->past_rebuilds += n->inner.rebuilds;
			hcf_nested_get_info(&r, &n->inner);
		}
		else
			hcf_rbuf_str(&r, why, sizeof(why));
		hcf_rbuf_end(&r);
		hcf_nmsg_drop(&n->in, &head);
		if (ws == WAIT_OK && !r.bad)
			return 0;
		snprintf(err, errlen, "the runner could not open the kvm target: %s",
			 r.bad ? r.why : why);
	} else {
		if (ws == WAIT_GONE)
			machine_gone(n, why, sizeof(why));
		snprintf(err, errlen, "opening the kvm target in the nested machine: %s", why);
	}
	machine_stop(n);
	return -1;
}

/* The running counts: every machine's so far, and the restarts. */
static void take_counts(struct nested_target *n)
{
	n->info.resets = n->past_resets + n->inner.resets;
	n->info.pages_restored = n->past_pages + n->inner.pages_restored;
	n->info.restores = n->past_restores + n->inner.restores;
	n->info.restores_failed = n->past_restores_failed + n->inner.restores_failed;
	n->info.rebuilds = n->past_rebuilds + n->inner.rebuilds + n->restarts;
}

/* The info of a machine that just came up: the inner kvm target's, named
 * for what it is. */
static void take_info(struct nested_target *n)
{
	struct hcf_target_info *ti = &n->info;
	*ti = n->inner;
	snprintf(ti->target, sizeof(ti->target), "kvm-nested");
	char facts[sizeof(ti->facts)];
	snprintf(facts, sizeof(facts), "linux=%s boot=%s %s", n->release, n->pvh ? "pvh" : "bzimage",
		 n->inner.facts);
	memcpy(ti->facts, facts, sizeof(ti->facts));
	snprintf(ti->notes, sizeof(ti->notes),
		 "Linux %s (Debian's, %s) with kvm-amd inside QEMU TCG -cpu max, %u MiB; /dev/kvm %.1f s "
		 "after QEMU started; programs and results over a serial line. Inside: %s",
		 n->release, n->pvh ? "vmlinux through PVH" : "bzImage", n->mem_mib, n->boot_seconds,
		 n->inner.notes);
	take_counts(n);
}

static int boot(struct nested_target *n, char *err, size_t errlen)
{
	if (machine_start(n, err, errlen) != 0)
		return -1;
	take_info(n);
	return 0;
}

/* A fresh machine after a loss; a second try when the first does not come up. */
static int rebuild(struct nested_target *n)
{
	char err[1024];
	for (int attempt = 0; attempt < 2; attempt++) {
		machine_stop(n);
		n->restarts++;
		if (boot(n, err, sizeof(err)) == 0)
			return 0;
	}
	fprintf(stderr, "hcfuzz: kvm-nested: booting the nested machine again failed: %s\n", err);
	return -1;
}

/* ---- the target ---------------------------------------------------------------- */

/* The machine was lost during p: how, charged to the program's first call
 * (the runner reports no progress inside a program). */
static void lost_during(const struct hcf_prog *p, struct hcf_prog_result *r, enum hcf_liveness how,
			const char *why)
{
	hcf_result_reserve(r, p->ncalls);
	for (size_t i = 0; i < p->ncalls; i++)
		hcf_call_result_init(&r->calls[i], p->calls[i].gpr);
	r->ncalls = p->ncalls;
	r->liveness = how;
	snprintf(r->detail, sizeof(r->detail), "%s", why);
	if (p->ncalls) {
		r->calls[0].outcome = how == HCF_LIVE_HANG ? HCF_CO_HANG
				      : how == HCF_LIVE_PROTOCOL ? HCF_CO_BAD_RESULT
								 : HCF_CO_GUEST_LOST;
		r->calls[0].lost_why = how;
		r->calls[0].detail = r->detail;
	}
}

static unsigned run_timeout_ms(const struct nested_target *n, size_t ncalls)
{
	uint64_t wd = n->opts.watchdog_ms ? n->opts.watchdog_ms : HCF_WATCHDOG_DEFAULT_MS;
	uint64_t ms = REQUEST_SLACK_MS + 2 * wd * (ncalls + 1);
	return ms > 3600000u ? 3600000u : (unsigned)ms;
}

static int nested_run(struct hcf_target *t, const struct hcf_prog *p, struct hcf_prog_result *r)
{
	struct nested_target *n = N(t);
	if (p->abi != t->abi) {
		hcf_engine_not_run(p, r, "program for another ABI than the target was opened for");
		return -1;
	}
	if (n->chan_fd < 0 && rebuild(n) != 0) {
		hcf_engine_not_run(p, r, "no nested machine: booting it again failed");
		return -1;
	}
	char *text = hcf_prog_to_text(p);
	if (!text) {
		hcf_engine_not_run(p, r, "the program cannot be written in the text format the runner reads");
		return -1;
	}
	struct hcf_wbuf w = { 0 };
	hcf_wbuf_str(&w, text);
	free(text);
	char why[512];
	bool sent = request(n, HCF_NM_RUN, &w, why, sizeof(why));
	hcf_wbuf_free(&w);
	if (!sent) {
		lost_during(p, r, HCF_LIVE_VMM_GONE, why);
		return 0;
	}
	struct hcf_nmsg_head head;
	const uint8_t *payload;
	enum wait_status ws = wait_reply(n, HCF_NM_RESULT, n->seq, run_timeout_ms(n, p->ncalls), &head,
					 &payload, why, sizeof(why));
	struct hcf_rbuf rb;
	switch (ws) {
	case WAIT_OK:
		hcf_rbuf_init(&rb, payload, head.len);
		if (hcf_nested_get_result(&rb, p, r) == 0) {
			hcf_nested_get_counts(&rb, &n->inner);
			hcf_rbuf_end(&rb);
		}
		hcf_nmsg_drop(&n->in, &head);
		if (!rb.bad) {
			take_counts(n);
			return 0;
		}
		snprintf(why, sizeof(why), "the runner's result does not decode: %s", rb.why);
		machine_stop(n);
		lost_during(p, r, HCF_LIVE_PROTOCOL, why);
		return 0;
	case WAIT_ERROR_REPLY: {
		char msg[400];
		hcf_rbuf_init(&rb, payload, head.len);
		hcf_rbuf_str(&rb, msg, sizeof(msg));
		hcf_nmsg_drop(&n->in, &head);
		snprintf(why, sizeof(why), "the runner refused the program: %s", msg);
		hcf_engine_not_run(p, r, why);
		return -1;
	}
	case WAIT_TIMEOUT: {
		char tail[HCF_QEMU_LOG_TAIL + 1], msg[512];
		hcf_qemu_log_tail(&n->proc, tail, sizeof(tail));
		snprintf(msg, sizeof(msg), "the nested machine gave no result (%s)%s%s", why,
			 tail[0] ? "; console: " : "", tail);
		machine_stop(n);
		lost_during(p, r, HCF_LIVE_HANG, msg);
		return 0;
	}
	case WAIT_GONE:
		machine_gone(n, why, sizeof(why));
		lost_during(p, r, HCF_LIVE_VMM_GONE, why);
		return 0;
	case WAIT_GARBAGE:
		machine_stop(n);
		lost_during(p, r, HCF_LIVE_PROTOCOL, why);
		return 0;
	case WAIT_INTERRUPTED:
		machine_stop(n);
		hcf_engine_not_run(p, r, "interrupted");
		return -1;
	case WAIT_HOST:
		break;
	}
	machine_stop(n);
	hcf_engine_not_run(p, r, why);
	return -1;
}

/* A request answered by DONE: its status and seconds; -1 when it failed. */
static int simple_request(struct nested_target *n, enum hcf_nmsg_type type, const struct hcf_wbuf *w,
			  unsigned timeout_ms, double *seconds)
{
	if (n->chan_fd < 0 && rebuild(n) != 0)
		return -1;
	char why[512];
	if (!request(n, type, w, why, sizeof(why))) {
		fprintf(stderr, "hcfuzz: kvm-nested: %s\n", why);
		return -1;
	}
	struct hcf_nmsg_head head;
	const uint8_t *payload;
	enum wait_status ws = wait_reply(n, HCF_NM_DONE, n->seq, timeout_ms, &head, &payload, why,
					 sizeof(why));
	if (ws != WAIT_OK) {
		if (ws == WAIT_ERROR_REPLY) {
			struct hcf_rbuf rb;
			hcf_rbuf_init(&rb, payload, head.len);
			hcf_rbuf_str(&rb, why, sizeof(why));
			hcf_nmsg_drop(&n->in, &head);
		} else if (ws == WAIT_GONE) {
			machine_gone(n, why, sizeof(why));
		} else {
			machine_stop(n);
		}
		fprintf(stderr, "hcfuzz: kvm-nested: %s: %s\n", hcf_nmsg_type_name(type), why);
		return -1;
	}
	struct hcf_rbuf rb;
	hcf_rbuf_init(&rb, payload, head.len);
	int rc = (int)hcf_rbuf_u32(&rb);
	double s = hcf_rbuf_f64(&rb);
	hcf_nested_get_counts(&rb, &n->inner);
	hcf_rbuf_end(&rb);
	hcf_nmsg_drop(&n->in, &head);
	if (rb.bad) {
		fprintf(stderr, "hcfuzz: kvm-nested: %s: %s\n", hcf_nmsg_type_name(type), rb.why);
		machine_stop(n);
		return -1;
	}
	take_counts(n);
	if (seconds)
		*seconds = s;
	return rc;
}

static int nested_reset(struct hcf_target *t)
{
	struct nested_target *n = N(t);
	unsigned wd = n->opts.watchdog_ms ? n->opts.watchdog_ms : HCF_WATCHDOG_DEFAULT_MS;
	return simple_request(n, HCF_NM_RESET, NULL, REQUEST_SLACK_MS + 2 * wd, NULL);
}

static int nested_save_console(struct hcf_target *t, const char *path)
{
	return hcf_qemu_log_save(&N(t)->proc, path);
}

static int nested_empty_round_trip(struct hcf_target *t, double *seconds)
{
	struct nested_target *n = N(t);
	unsigned wd = n->opts.watchdog_ms ? n->opts.watchdog_ms : HCF_WATCHDOG_DEFAULT_MS;
	return simple_request(n, HCF_NM_EMPTY, NULL, REQUEST_SLACK_MS + 2 * wd, seconds);
}

static int nested_raw_loop(struct hcf_target *t, const struct hcf_prog *p, uint64_t iterations,
			   double *seconds)
{
	char *text = hcf_prog_to_text(p);
	if (!text)
		return -1;
	struct hcf_wbuf w = { 0 };
	hcf_wbuf_u64(&w, iterations);
	hcf_wbuf_str(&w, text);
	free(text);
	int rc = simple_request(N(t), HCF_NM_RAW, &w, 600000u, seconds);
	hcf_wbuf_free(&w);
	return rc;
}

static void nested_close(struct hcf_target *t)
{
	struct nested_target *n = N(t);
	if (!n)
		return;
	machine_stop(n);
	hcf_qemu_proc_close(&n->proc);
	if (n->initrd_fd >= 0)
		close(n->initrd_fd);
	hcf_nmsg_reader_free(&n->in);
	hcf_wbuf_free(&n->open_msg);
	free(n);
}

static const struct hcf_target_info *nested_info(struct hcf_target *t)
{
	return &N(t)->info;
}

/* QEMU, the kernel and its modules in the cache, and the runner. */
static int nested_available(const struct hcf_target_opts *opts, char *why, size_t len)
{
	if (hcf_qemu_available(opts, why, len) != 0)
		return -1;
	char path[4096];
	const char *dir = kernel_dir(opts);
	const char *need[] = { "vmlinuz", "kvm-modules" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, need[i]);
		if (access(path, R_OK) != 0) {
			snprintf(why, len, "no Linux kernel for it (%s): `ninja -C build linux` fetches "
					   "Debian's into the build's cache; or give kernel=DIR", path);
			return -1;
		}
	}
	const char *runner = runner_path(opts);
	if (access(runner, R_OK) != 0) {
		snprintf(why, len, "no runner (%s): it is built with hcfuzz, except in a sanitizer "
				   "build; or give runner=PATH", runner);
		return -1;
	}
	return 0;
}

static int nested_open(struct hcf_target **out, const struct hcf_abi *abi,
		       const struct hcf_target_opts *opts, char *err, size_t errlen);

const struct hcf_target_ops hcf_target_nested_ops = {
	.name = "kvm-nested",
	.summary = "upstream Linux KVM (Debian's kernel) nested inside QEMU TCG, one machine per run",
	.open = nested_open,
	.run = nested_run,
	.reset = nested_reset,
	.close = nested_close,
	.info = nested_info,
	.raw_loop = nested_raw_loop,
	.empty_round_trip = nested_empty_round_trip,
	.save_console = nested_save_console,
	.available = nested_available,
};

static int nested_open(struct hcf_target **out, const struct hcf_abi *abi,
		       const struct hcf_target_opts *opts, char *err, size_t errlen)
{
	*out = NULL;
	static const char *const params[] = { "qemu", "kernel", "runner", "mem", NULL };
	if (hcf_target_params_check(opts, "kvm-nested", params, err, errlen) != 0)
		return -1;
	if (nested_available(opts, err, errlen) != 0)
		return -1;
	struct nested_target *n = hcf_xcalloc(1, sizeof(*n));
	n->base.ops = &hcf_target_nested_ops;
	n->base.abi = abi;
	n->opts = *opts;
	n->chan_fd = n->initrd_fd = -1;
	n->proc.pid = -1;
	n->proc.log_fd = -1;
	n->kernel_dir = kernel_dir(opts);
	n->runner = runner_path(opts);
	n->mem_mib = MEM_MIB_DEFAULT;
	const char *mem = hcf_target_param(opts, "mem");
	if (mem) {
		char *end;
		unsigned long v = strtoul(mem, &end, 10);
		if (*end || v < 128 || v > 8192) {
			snprintf(err, errlen, "kvm-nested: mem=%s: a size in MiB, 128 to 8192", mem);
			free(n);
			return -1;
		}
		n->mem_mib = (unsigned)v;
	}
	if (hcf_qemu_proc_init(&n->proc, opts, err, errlen) != 0 || build_initrd(n, err, errlen) != 0 ||
	    build_open(n, err, errlen) != 0 || boot(n, err, errlen) != 0) {
		nested_close(&n->base);
		return -1;
	}
	*out = &n->base;
	return 0;
}
