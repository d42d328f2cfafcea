/*
 * runner.c: /init of the kvm-nested target's Linux guest. It loads KVM,
 * opens the in-process kvm target on that kernel's /dev/kvm and serves
 * hcfuzz over a serial line: the spec, programs, resets in; results out
 * (target/nested_wire.h).
 *
 * Linked statically (the initramfs holds nothing else). It is the same kvm
 * target hcfuzz runs on the host's /dev/kvm, so what differs between the
 * two is the hypervisor, not the harness. The host trusts nothing it says:
 * this side only has to be correct, not defended.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "prog/prog.h"
#include "spec/spec.h"
#include "target/nested_wire.h"
#include "target/target.h"
#include "util/fileio.h"
#include "util/xalloc.h"

#define CHANNEL "/dev/ttyS1"        /* the host's end is QEMU's second serial port */
#define MODULES "/hcf/modules"      /* module names in load order, one per line */
#define SPEC_DIR "/spec"

struct runner {
	int fd;                     /* the channel */
	struct hcf_nmsg_reader in;
	struct hcf_abi *abi;
	struct hcf_target *t;
	struct hcf_prog prog;
	struct hcf_prog_result res;
	bool have_res;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "hcf-runner: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void power_off(void)
{
	sync();
	if (getpid() == 1)
		reboot(RB_POWER_OFF);
	exit(1);
}

/* ---- becoming a system ------------------------------------------------------ */

/* Each module named in MODULES, from /hcf/NAME.ko, in order. */
static int load_modules(char *err, size_t errlen)
{
	size_t len;
	char *list = hcf_read_file(MODULES, 1 << 16, &len);
	if (!list) {
		snprintf(err, errlen, "%s: %s", MODULES, strerror(errno));
		return -1;
	}
	for (char *save = NULL, *name = strtok_r(list, "\n", &save); name;
	     name = strtok_r(NULL, "\n", &save)) {
		char path[256];
		snprintf(path, sizeof(path), "/hcf/%s.ko", name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		long rc = fd < 0 ? -1 : syscall(SYS_finit_module, fd, "", 0);
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (rc != 0 && e != EEXIST) {
			snprintf(err, errlen, "loading %s: %s", path, strerror(e));
			free(list);
			return -1;
		}
	}
	free(list);
	return 0;
}

static int become_system(char *err, size_t errlen)
{
	mkdir("/dev", 0755);
	mkdir("/proc", 0555);
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) != 0 && errno != EBUSY) {
		snprintf(err, errlen, "mounting /dev: %s", strerror(errno));
		return -1;
	}
	mount("proc", "/proc", "proc", 0, NULL);
	return load_modules(err, errlen);
}

static int open_channel(char *err, size_t errlen)
{
	int fd = open(CHANNEL, O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct termios tio;
	if (fd < 0 || tcgetattr(fd, &tio) != 0) {
		snprintf(err, errlen, "%s: %s", CHANNEL, strerror(errno));
		return -1;
	}
	cfmakeraw(&tio);
	cfsetspeed(&tio, B115200);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cflag &= (tcflag_t)~CRTSCTS;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &tio) != 0) {
		snprintf(err, errlen, "%s: raw mode: %s", CHANNEL, strerror(errno));
		return -1;
	}
	return fd;
}

/* ---- answering --------------------------------------------------------------- */

static void reply(struct runner *rn, enum hcf_nmsg_type type, uint32_t seq, const struct hcf_wbuf *w)
{
	if (hcf_nmsg_send(rn->fd, type, seq, w ? w->p : NULL, w ? w->len : 0) != 0) {
		say("the channel: %s", strerror(errno));
		power_off();
	}
}

static void reply_error(struct runner *rn, uint32_t seq, const char *why)
{
	struct hcf_wbuf w = { 0 };
	hcf_wbuf_str(&w, why);
	reply(rn, HCF_NM_ERROR, seq, &w);
	hcf_wbuf_free(&w);
}

/* Diagnostics as one line. */
static void diags_text(const struct hcf_diags *ds, char *out, size_t len)
{
	size_t n = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < ds->n && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s:%u:%u: %s", i ? "; " : "", ds->d[i].file,
				      ds->d[i].line, ds->d[i].col, ds->d[i].msg);
}

/* A file name from hcfuzz: one path component, nothing that climbs. */
static bool plain_name(const char *s)
{
	return s[0] && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

static void close_target(struct runner *rn)
{
	hcf_target_close(rn->t);
	rn->t = NULL;
	if (rn->have_res)
		hcf_result_free(&rn->res);
	rn->have_res = false;
	hcf_prog_free(&rn->prog);
	if (rn->abi)
		hcf_spec_free(rn->abi);
	rn->abi = NULL;
}

/* OPEN: u32 watchdog ms, u8 timing, u8 vectors, u8 is-directory, str name,
 * u32 files, then (str name, blob text) per file. */
static void on_open(struct runner *rn, uint32_t seq, struct hcf_rbuf *r)
{
	close_target(rn);
	struct hcf_target_opts opts = { 0 };
	opts.watchdog_ms = hcf_rbuf_u32(r);
	opts.timing = hcf_rbuf_u8(r) != 0;
	opts.want_vec = hcf_rbuf_u8(r) != 0;
	bool is_dir = hcf_rbuf_u8(r) != 0;
	char name[128], path[256], err[512];
	hcf_rbuf_str(r, name, sizeof(name));
	uint32_t nfiles = hcf_rbuf_u32(r);
	if (!r->bad && (!plain_name(name) || nfiles == 0 || nfiles > 64))
		hcf_rbuf_fail(r, "a spec name or file count out of range");
	mkdir(SPEC_DIR, 0755);
	char root[256];
	snprintf(root, sizeof(root), SPEC_DIR "/%s", name);
	if (is_dir)
		mkdir(root, 0755);
	for (uint32_t i = 0; i < nfiles && !r->bad; i++) {
		char file[128];
		size_t len;
		hcf_rbuf_str(r, file, sizeof(file));
		const uint8_t *text = hcf_rbuf_blob(r, HCF_NMSG_MAX, &len);
		if (r->bad || !plain_name(file))
			break;
		snprintf(path, sizeof(path), "%s%s%s", is_dir ? root : SPEC_DIR, "/", file);
		if (hcf_write_file_atomic(path, text, len) != 0) {
			snprintf(err, sizeof(err), "writing %s: %s", path, strerror(errno));
			reply_error(rn, seq, err);
			return;
		}
	}
	hcf_rbuf_end(r);
	if (r->bad) {
		reply_error(rn, seq, r->why);
		return;
	}
	struct hcf_diags diags;
	hcf_diags_init(&diags);
	if (hcf_spec_load(root, &rn->abi, &diags) != 0) {
		diags_text(&diags, err, sizeof(err));
		reply_error(rn, seq, err);
		return;
	}
	if (hcf_target_kvm_ops.open(&rn->t, rn->abi, &opts, err, sizeof(err)) != 0) {
		reply_error(rn, seq, err);
		return;
	}
	hcf_prog_init(&rn->prog, rn->abi);
	struct hcf_wbuf w = { 0 };
	hcf_nested_put_info(&w, rn->t->ops->info(rn->t));
	reply(rn, HCF_NM_OPENED, seq, &w);
	hcf_wbuf_free(&w);
}

/* The rest of the request, a program text (blob), into rn->prog: 0, or -1
 * after an ERROR reply. */
static int take_program(struct runner *rn, uint32_t seq, struct hcf_rbuf *r)
{
	size_t len;
	const uint8_t *text = hcf_rbuf_blob(r, HCF_PROG_TEXT_MAX, &len);
	hcf_rbuf_end(r);
	if (r->bad) {
		reply_error(rn, seq, r->why);
		return -1;
	}
	if (!rn->t) {
		reply_error(rn, seq, "no target open");
		return -1;
	}
	struct hcf_diags diags;
	hcf_diags_init(&diags);
	hcf_prog_free(&rn->prog);
	if (hcf_prog_parse(&rn->prog, rn->abi, "program", (const char *)text, len, &diags) != 0) {
		char err[512];
		diags_text(&diags, err, sizeof(err));
		reply_error(rn, seq, err);
		return -1;
	}
	return 0;
}

/* RUN: blob program text. */
static void on_run(struct runner *rn, uint32_t seq, struct hcf_rbuf *r)
{
	if (take_program(rn, seq, r) != 0)
		return;
	if (!rn->have_res) {
		hcf_result_init(&rn->res, rn->prog.ncalls);
		rn->have_res = true;
	}
	hcf_target_run(rn->t, &rn->prog, &rn->res);
	struct hcf_wbuf w = { 0 };
	hcf_nested_put_result(&w, &rn->res);
	hcf_nested_put_counts(&w, rn->t->ops->info(rn->t));
	reply(rn, HCF_NM_RESULT, seq, &w);
	hcf_wbuf_free(&w);
}

static void done(struct runner *rn, uint32_t seq, int rc, double seconds)
{
	struct hcf_wbuf w = { 0 };
	hcf_wbuf_u32(&w, (uint32_t)rc);
	hcf_wbuf_f64(&w, seconds);
	hcf_nested_put_counts(&w, rn->t->ops->info(rn->t));
	reply(rn, HCF_NM_DONE, seq, &w);
	hcf_wbuf_free(&w);
}

static void on_reset(struct runner *rn, uint32_t seq, struct hcf_rbuf *r)
{
	hcf_rbuf_end(r);
	if (!rn->t) {
		reply_error(rn, seq, "no target open");
		return;
	}
	done(rn, seq, rn->t->ops->reset(rn->t), 0);
}

/* RAW: u64 iterations, blob program text. */
static void on_raw(struct runner *rn, uint32_t seq, struct hcf_rbuf *r)
{
	uint64_t iterations = hcf_rbuf_u64(r);
	if (take_program(rn, seq, r) != 0)
		return;
	double s = 0;
	int rc = rn->t->ops->raw_loop ? rn->t->ops->raw_loop(rn->t, &rn->prog, iterations, &s) : -1;
	done(rn, seq, rc, s);
}

static void on_empty(struct runner *rn, uint32_t seq, struct hcf_rbuf *r)
{
	hcf_rbuf_end(r);
	if (!rn->t) {
		reply_error(rn, seq, "no target open");
		return;
	}
	double s = 0;
	int rc = rn->t->ops->empty_round_trip ? rn->t->ops->empty_round_trip(rn->t, &s) : -1;
	done(rn, seq, rc, s);
}

static void (*const handlers[HCF_NM_TYPES])(struct runner *, uint32_t, struct hcf_rbuf *) = {
	[HCF_NM_OPEN] = on_open,   [HCF_NM_RUN] = on_run,     [HCF_NM_RESET] = on_reset,
	[HCF_NM_RAW] = on_raw,     [HCF_NM_EMPTY] = on_empty,
};

static void hello(struct runner *rn)
{
	struct utsname u;
	uname(&u);
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int api = kvm >= 0 ? ioctl(kvm, KVM_GET_API_VERSION, 0) : -1;
	if (kvm >= 0)
		close(kvm);
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	struct hcf_wbuf w = { 0 };
	hcf_wbuf_str(&w, u.release);
	hcf_wbuf_u32(&w, (uint32_t)api);
	hcf_wbuf_u64(&w, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
	reply(rn, HCF_NM_HELLO, 0, &w);
	hcf_wbuf_free(&w);
	say("Linux %s, /dev/kvm API %d, %lld.%03ld s after boot", u.release, api, (long long)ts.tv_sec,
	    ts.tv_nsec / 1000000);
}

int main(void)
{
	char err[512];
	struct runner rn = { .fd = -1 };
	if (getpid() == 1 && become_system(err, sizeof(err)) != 0) {
		say("%s", err);
		power_off();
	}
	if ((rn.fd = open_channel(err, sizeof(err))) < 0) {
		say("%s", err);
		power_off();
	}
	hello(&rn);
	for (;;) {
		struct hcf_nmsg_head head;
		const uint8_t *payload;
		enum hcf_nmsg_status st = hcf_nmsg_take(&rn.in, &head, &payload, err, sizeof(err));
		if (st == HCF_NMSG_GARBAGE) {
			say("%s", err);
			break;
		}
		if (st == HCF_NMSG_NEED) {
			ssize_t n = read(rn.fd, hcf_nmsg_room(&rn.in, 65536), 65536);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				say("the channel closed");
				break;
			}
			rn.in.len += (size_t)n;
			continue;
		}
		struct hcf_rbuf r;
		hcf_rbuf_init(&r, payload, head.len);
		if (handlers[head.type])
			handlers[head.type](&rn, head.seq, &r);
		else
			reply_error(&rn, head.seq, "not a request");
		hcf_nmsg_drop(&rn.in, &head);
	}
	close_target(&rn);
	power_off();
	return 1;
}
