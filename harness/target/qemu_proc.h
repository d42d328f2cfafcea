/*
 * qemu_proc.h: a qemu-system-x86_64 process as the targets that boot a
 * guest under QEMU start, watch and stop it.
 *
 * One definition of what every such target does the same way: which QEMU
 * binary runs (qemu=PATH, $HCF_QEMU, the one the build fetched, the PATH),
 * a log that holds QEMU's stdout and stderr and whatever consoles the
 * target points at /dev/fd/2 (a memfd: nothing is left behind when either
 * process dies), a child in its own process group that dies with hcfuzz,
 * and how it ended, said the way verdicts say it.
 */
#ifndef HCF_QEMU_PROC_H
#define HCF_QEMU_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "target/target.h"

#define HCF_QEMU_LOG_TAIL 400u   /* bytes of the log a verdict quotes */

struct hcf_qemu_proc {
	const char *binary;   /* the QEMU to run (or a wrapper that runs it) */
	pid_t pid;            /* -1 while none runs */
	int log_fd;           /* QEMU's stdout and stderr (a memfd, appended to) */
	int stdout_fd;        /* > 0: the child's stdout goes there, not to the log (a
	                         Solo5 tender's, which carries the guest's console) */
	/* the logs of the earlier boots of this target, for the run's record
	 * (a memfd, created at the first new boot; hist_open says it is) */
	int hist_fd;
	bool hist_open;
	unsigned boots;
};

/* How much of the earlier boots' logs a target keeps: past it, the oldest go. */
#define HCF_QEMU_HISTORY_MAX (8u << 20)

/* The QEMU a target runs: qemu=PATH, else $HCF_QEMU, else the one the build
 * fetched (ci/fetch-qemu.sh), else qemu-system-x86_64 on the PATH. */
const char *hcf_qemu_binary(const struct hcf_target_opts *opts);
/* That QEMU can be run: 0, or -1 with what is missing and how to get it. */
int hcf_qemu_available(const struct hcf_target_opts *opts, char *why, size_t len);

/* No process yet; the log created. 0, or -1 with the reason. */
int hcf_qemu_proc_init(struct hcf_qemu_proc *qp, const struct hcf_target_opts *opts, char *err,
		       size_t errlen);
/*
 * Start QEMU with args (NULL-terminated, without the binary) and a fresh
 * log; fds[i] becomes fd 3 + i in QEMU. 0, or -1 with the reason.
 */
int hcf_qemu_spawn(struct hcf_qemu_proc *qp, const char *const args[], const int fds[], size_t nfds,
		   char *err, size_t errlen);
/* Reap the process if it ended within wait_ms: true with its wait status in
 * *wstatus (pid then -1); false while it still runs. */
bool hcf_qemu_reap(struct hcf_qemu_proc *qp, unsigned wait_ms, int *wstatus);
/* A failed boot's err, with " (WHO: the log's tail)" appended when the log
 * has one: what the process said before it stopped talking. */
void hcf_qemu_append_tail(const struct hcf_qemu_proc *qp, const char *who, char *err,
			  size_t errlen);
/* The last bytes of the log, one printable line ("" when empty). */
void hcf_qemu_log_tail(const struct hcf_qemu_proc *qp, char *out, size_t len);
/* What a verdict quotes of the log: the first line that says a kernel or
 * Xen died ("Kernel panic", "BUG:", "(XEN) Panic" ...), when there is one,
 * then the tail. */
void hcf_qemu_log_evidence(const struct hcf_qemu_proc *qp, char *out, size_t len);
/* The first line of this boot's log that holds mark, printable, into out;
 * false when there is none. */
bool hcf_qemu_log_line(const struct hcf_qemu_proc *qp, const char *mark, char *out, size_t len);
/*
 * QEMU's channel closed (or it must be judged gone): wait up to wait_ms for
 * it to end and say how in how ("exit status 85", "signal 9", or "closed its
 * channel, still running"). True when it exited with status 0 (with
 * -no-reboot: the guest reset or triple-faulted).
 */
bool hcf_qemu_ended(struct hcf_qemu_proc *qp, unsigned wait_ms, char *how, size_t len);
/* Kill QEMU if it runs and reap it. */
void hcf_qemu_stop(struct hcf_qemu_proc *qp);
/* Every boot's log (the earlier ones kept, the current one) to path,
 * atomically, each after a line naming the boot. 0, or -1 with errno. */
int hcf_qemu_log_save(const struct hcf_qemu_proc *qp, const char *path);
/* Stop it and close the log. */
void hcf_qemu_proc_close(struct hcf_qemu_proc *qp);

#endif /* HCF_QEMU_PROC_H */
