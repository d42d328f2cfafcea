/*
 * session.h: one fuzzing process: a VM kept across executions, an input in,
 * features and findings out.
 *
 * The fuzz targets (libFuzzer and AFL++ builds of one LLVMFuzzerTestOneInput)
 * and the benchmark share it. The VM is created once; every execution decodes
 * the input into a program, resets the VM to its boot snapshot (the pages the
 * guest dirtied, and after a destructive call or a lost guest the vCPU's
 * whole state: target/target_kvm.c), runs the program, judges it with the
 * oracles and the model, turns what happened into feature slots, and stores
 * every new finding in the campaign directory. Progress goes to the campaign
 * directory's stats/ folder, one file per process, for the campaign's status
 * line.
 */
#ifndef HCF_SESSION_H
#define HCF_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz/features.h"

struct hcf_fuzz_session_opts {
	const char *spec_path;
	const char *dir;        /* campaign directory: findings/ and stats/; NULL: none kept */
	const char *engine;     /* "libfuzzer", "afl", "bench" */
	const char *target;     /* "kvm" (default) or "model" */
	const char *transport;  /* one of the spec's transports, or NULL: its first */
	const char *target_params; /* the target's parameters, one per line, or NULL */
	/* a second target every input also runs on; a difference is a finding
	 * (exec/differential.h: NAME[,transport=X][,K=V]...), or NULL */
	const char *diff_target;
	bool no_oracles;        /* benchmark ceiling: run only */
};

struct hcf_fuzz_counters {
	uint64_t execs;
	uint64_t calls;
	uint64_t findings_new;     /* stored by this process */
	uint64_t store_errors;
	double reset_seconds;      /* total time in resets */
	double guest_seconds;      /* total time inside the hypervisor's run call (the target's guest_ns) */
	uint64_t resets, pages_restored, rebuilds;
	uint64_t restores;         /* resets that put the vCPU's whole state back */
	size_t features;           /* distinct slots seen by this process */
	uint64_t last_new_feature_unix;
	uint64_t lost;             /* executions that ended the guest as the spec declares */
	uint64_t xfail;            /* executions that showed a known anomaly */
	uint64_t differing;        /* executions whose results differed on the diff target */
};

struct hcf_fuzz_session;

int hcf_fuzz_session_open(struct hcf_fuzz_session **out, const struct hcf_fuzz_session_opts *o,
			  char *err, size_t errlen);
/*
 * One execution of data[0..len). Writes the feature slots it hit into slots
 * (at most max) and returns how many. Returns (size_t)-1 if the campaign must
 * stop (a finding could not be stored: full disk, unwritable directory), with
 * the reason printed.
 */
size_t hcf_fuzz_session_exec(struct hcf_fuzz_session *s, const uint8_t *data, size_t len,
			     uint32_t *slots, size_t max);
const struct hcf_fuzz_counters *hcf_fuzz_session_counters(const struct hcf_fuzz_session *s);
const char *hcf_fuzz_session_kcov(const struct hcf_fuzz_session *s);
/* Executions per known anomaly of the spec ("pvm-cr-status 120, ..."). */
const char *hcf_fuzz_session_anomalies(const struct hcf_fuzz_session *s, char *buf, size_t len);
/* Write the stats file now (also done every second by exec). */
void hcf_fuzz_session_flush(struct hcf_fuzz_session *s);
void hcf_fuzz_session_close(struct hcf_fuzz_session *s);

#endif /* HCF_SESSION_H */
