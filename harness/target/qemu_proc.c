/* qemu_proc.c: starting, watching and stopping a QEMU process (qemu_proc.h). */
#include "target/qemu_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/fileio.h"

const char *hcf_qemu_binary(const struct hcf_target_opts *opts)
{
	const char *p = hcf_target_param(opts, "qemu");
	if (p && *p)
		return p;
	p = getenv("HCF_QEMU");
	if (p && *p)
		return p;
#ifdef HCF_QEMU_DEFAULT
	if (access(HCF_QEMU_DEFAULT, X_OK) == 0)
		return HCF_QEMU_DEFAULT;
#endif
	return "qemu-system-x86_64";
}

/* A path runs, or a bare name is found on the PATH. */
static bool runnable(const char *prog)
{
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	const char *path = getenv("PATH");
	char file[4096];
	for (const char *p = path; p && *p;) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		snprintf(file, sizeof(file), "%.*s/%s", (int)n, p, prog);
		if (access(file, X_OK) == 0)
			return true;
		p = colon ? colon + 1 : p + n;
	}
	return false;
}

int hcf_qemu_available(const struct hcf_target_opts *opts, char *why, size_t len)
{
	const char *qemu = hcf_qemu_binary(opts);
	if (runnable(qemu))
		return 0;
	snprintf(why, len, "no QEMU (%s): `ninja -C build qemu` fetches Debian's into the build's "
			   "cache; or give qemu=PATH or HCF_QEMU", qemu);
	return -1;
}

int hcf_qemu_proc_init(struct hcf_qemu_proc *qp, const struct hcf_target_opts *opts, char *err,
		       size_t errlen)
{
	qp->binary = hcf_qemu_binary(opts);
	qp->pid = -1;
	qp->log_fd = memfd_create("hcf-qemu-log", 0);
	if (qp->log_fd < 0 || fcntl(qp->log_fd, F_SETFL, O_APPEND) != 0) {
		snprintf(err, errlen, "QEMU's log (memfd): %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* In the child: fds[i] to 3 + i. First above every target number, so that no
 * dup2 overwrites a descriptor a later one still needs. */
static int place_fds(const int fds[], size_t nfds)
{
	int high[8];
	if (nfds > 8)
		return -1;
	for (size_t i = 0; i < nfds; i++)
		if ((high[i] = fcntl(fds[i], F_DUPFD, 64)) < 0)
			return -1;
	for (size_t i = 0; i < nfds; i++)
		if (dup2(high[i], 3 + (int)i) < 0)
			return -1;
	return 0;
}

/* The whole of fd (a memfd), malloc'ed, *len its size; NULL when empty or
 * unreadable. */
static char *read_all(int fd, size_t *len)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0)
		return NULL;
	char *buf = malloc((size_t)st.st_size);
	ssize_t got = buf ? pread(fd, buf, (size_t)st.st_size, 0) : -1;
	if (got <= 0) {
		free(buf);
		return NULL;
	}
	*len = (size_t)got;
	return buf;
}

/* The log of the boot that ends, to the history, before the next boot
 * starts its log afresh; past HCF_QEMU_HISTORY_MAX the history restarts
 * with this boot (the latest boots are the ones a verdict is about). */
static void keep_boot_log(struct hcf_qemu_proc *qp)
{
	if (qp->boots++ == 0)
		return;
	if (!qp->hist_open) {
		qp->hist_fd = memfd_create("hcf-qemu-history", 0);
		if (qp->hist_fd < 0)
			return;
		qp->hist_open = true;
	}
	size_t len = 0;
	char *log = read_all(qp->log_fd, &len);
	struct stat st;
	if (fstat(qp->hist_fd, &st) == 0 && (size_t)st.st_size + len > HCF_QEMU_HISTORY_MAX &&
	    ftruncate(qp->hist_fd, 0) != 0) {
		free(log);
		return;
	}
	dprintf(qp->hist_fd, "==== hcfuzz: boot %u ====\n", qp->boots - 1);
	if (log && write(qp->hist_fd, log, len) != (ssize_t)len) {
		/* a short history is still a history */
	}
	free(log);
}

int hcf_qemu_log_save(const struct hcf_qemu_proc *qp, const char *path)
{
	size_t hlen = 0, llen = 0;
	char *hist = qp->hist_open ? read_all(qp->hist_fd, &hlen) : NULL;
	char *log = read_all(qp->log_fd, &llen);
	char head[64];
	int n = snprintf(head, sizeof(head), "==== hcfuzz: boot %u (the last) ====\n", qp->boots);
	size_t total = hlen + (size_t)n + llen;
	char *all = malloc(total + 1);
	int rc = -1;
	if (all) {
		if (hist)
			memcpy(all, hist, hlen);
		memcpy(all + hlen, head, (size_t)n);
		if (log)
			memcpy(all + hlen + (size_t)n, log, llen);
		rc = hcf_write_file_atomic(path, all, total);
	} else {
		errno = ENOMEM;
	}
	free(all);
	free(hist);
	free(log);
	return rc;
}

int hcf_qemu_spawn(struct hcf_qemu_proc *qp, const char *const args[], const int fds[], size_t nfds,
		   char *err, size_t errlen)
{
	const char *argv[128];
	size_t n = 0;
	argv[n++] = qp->binary;
	for (size_t i = 0; args[i] && n < 127; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	keep_boot_log(qp);
	if (ftruncate(qp->log_fd, 0) != 0) {
		snprintf(err, errlen, "QEMU's log: %s", strerror(errno));
		return -1;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* its own process group: a Ctrl-C is hcfuzz's to handle (it stops
		 * QEMU itself); and it dies with hcfuzz, whatever kills hcfuzz */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127); /* hcfuzz is already gone */
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0 ||
		    dup2(qp->stdout_fd > 0 ? qp->stdout_fd : qp->log_fd, 1) < 0 ||
		    dup2(qp->log_fd, 2) < 0 || place_fds(fds, nfds) != 0)
			_exit(127);
		execvp(qp->binary, (char *const *)argv);
		dprintf(2, "hcfuzz: cannot run %s: %s\n", qp->binary, strerror(errno));
		_exit(127);
	}
	qp->pid = pid;
	return 0;
}

void hcf_qemu_log_tail(const struct hcf_qemu_proc *qp, char *out, size_t len)
{
	out[0] = '\0';
	struct stat st;
	if (qp->log_fd < 0 || fstat(qp->log_fd, &st) != 0 || st.st_size <= 0)
		return;
	char buf[HCF_QEMU_LOG_TAIL + 1];
	off_t from = st.st_size > (off_t)HCF_QEMU_LOG_TAIL ? st.st_size - (off_t)HCF_QEMU_LOG_TAIL : 0;
	ssize_t n = pread(qp->log_fd, buf, HCF_QEMU_LOG_TAIL, from);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e)
			buf[i] = ' ';
	snprintf(out, len, "%s", buf);
}

void hcf_qemu_append_tail(const struct hcf_qemu_proc *qp, const char *who, char *err,
			  size_t errlen)
{
	size_t used = strnlen(err, errlen);
	char tail[HCF_QEMU_LOG_TAIL + 1];
	hcf_qemu_log_tail(qp, tail, sizeof(tail));
	if (tail[0] && used < errlen)
		snprintf(err + used, errlen - used, " (%s: %s)", who, tail);
}

/* Lines in a guest kernel's or Xen's console that say it died. */
static const char *const death_marks[] = {
	"Kernel panic", "BUG: ", "Oops", "general protection fault", "(XEN) Panic", "(XEN) Assertion",
	"(XEN) FATAL", "(XEN) ----[ Xen", "(XEN) Hardware Dom0",
};

/*
 * The first line of the log (its last MiB: the log is this boot's) holding
 * one of marks[], made printable and cut at 160 bytes, into out. false when
 * none does.
 */
static bool log_first_line(const struct hcf_qemu_proc *qp, const char *const marks[],
			   size_t nmarks, char *out, size_t len)
{
	struct stat st;
	if (qp->log_fd < 0 || fstat(qp->log_fd, &st) != 0 || st.st_size <= 0)
		return false;
	size_t n = st.st_size > (1 << 20) ? 1u << 20 : (size_t)st.st_size;
	char *buf = malloc(n + 1);
	if (!buf)
		return false;
	bool found = false;
	ssize_t got = pread(qp->log_fd, buf, n, st.st_size - (off_t)n);
	if (got > 0) {
		buf[got] = '\0';
		for (ssize_t i = 0; i < got; i++)
			if (!buf[i])
				buf[i] = ' ';
		char *first = NULL;
		for (size_t m = 0; m < nmarks; m++) {
			char *at = strstr(buf, marks[m]);
			if (at && (!first || at < first))
				first = at;
		}
		if (first) {
			char *eol = strchr(first, '\n');
			size_t l = eol ? (size_t)(eol - first) : strlen(first);
			if (l > 160)
				l = 160;
			for (size_t i = 0; i < l; i++)
				if ((unsigned char)first[i] < 0x20 || (unsigned char)first[i] > 0x7e)
					first[i] = ' ';
			snprintf(out, len, "%.*s", (int)l, first);
			found = true;
		}
	}
	free(buf);
	return found;
}

void hcf_qemu_log_evidence(const struct hcf_qemu_proc *qp, char *out, size_t len)
{
	char tail[HCF_QEMU_LOG_TAIL + 1], line[200];
	hcf_qemu_log_tail(qp, tail, sizeof(tail));
	if (log_first_line(qp, death_marks, sizeof(death_marks) / sizeof(death_marks[0]), line,
			   sizeof(line)))
		snprintf(out, len, "%s ... %s", line, tail);
	else
		snprintf(out, len, "%s", tail);
}

bool hcf_qemu_log_line(const struct hcf_qemu_proc *qp, const char *mark, char *out, size_t len)
{
	const char *const marks[] = { mark };
	return log_first_line(qp, marks, 1, out, len);
}

bool hcf_qemu_reap(struct hcf_qemu_proc *qp, unsigned wait_ms, int *wstatus)
{
	int status = 0;
	pid_t r = 0;
	uint64_t until = hcf_now_ns() + (uint64_t)wait_ms * 1000000u;
	while (qp->pid > 0 && (r = waitpid(qp->pid, &status, WNOHANG)) == 0 && hcf_now_ns() < until)
		usleep(1000);
	if (qp->pid <= 0 || r != qp->pid)
		return false;
	qp->pid = -1;
	*wstatus = status;
	return true;
}

bool hcf_qemu_ended(struct hcf_qemu_proc *qp, unsigned wait_ms, char *how, size_t len)
{
	int status = 0;
	bool clean = false;
	if (hcf_qemu_reap(qp, wait_ms, &status)) {
		if (WIFEXITED(status)) {
			clean = WEXITSTATUS(status) == 0;
			snprintf(how, len, "exit status %d", WEXITSTATUS(status));
		} else {
			snprintf(how, len, "signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		}
	} else {
		snprintf(how, len, "closed its channel, still running");
	}
	return clean;
}

void hcf_qemu_stop(struct hcf_qemu_proc *qp)
{
	if (qp->pid > 0) {
		kill(qp->pid, SIGKILL);
		while (waitpid(qp->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	qp->pid = -1;
}

void hcf_qemu_proc_close(struct hcf_qemu_proc *qp)
{
	hcf_qemu_stop(qp);
	if (qp->log_fd >= 0)
		close(qp->log_fd);
	qp->log_fd = -1;
	if (qp->hist_open)
		close(qp->hist_fd);
	qp->hist_open = false;
}
