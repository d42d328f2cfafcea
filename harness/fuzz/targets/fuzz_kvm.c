/*
 * fuzz_kvm.c: the fuzz target, one LLVMFuzzerTestOneInput for libFuzzer and
 * AFL++, driving the in-process VMM (or the model target) through a session.
 *
 * Configuration comes from the environment, set by "hcfuzz fuzz" (and
 * inherited by libFuzzer's fork workers and AFL++'s forkserver):
 *   HCF_FUZZ_SPEC     the spec (required)
 *   HCF_FUZZ_DIR      the campaign directory (findings/, stats/)
 *   HCF_FUZZ_TARGET   kvm (default) or model
 *   HCF_FUZZ_TRANSPORT one of the spec's transports (default: its first)
 *   HCF_FUZZ_DIFF_TARGET a second target every input also runs on (--diff-target)
 *   HCF_FUZZ_TARGET_OPTS the target's parameters (--target-opt), one per line
 *
 * The hypervisor's behaviour is the coverage: each feature slot an execution
 * hits (features.h) is an extra counter for libFuzzer, and for AFL++ a byte
 * of the coverage map its runtime shares with afl-fuzz. Nothing else counts:
 * the library is plain, and the AFL++ build compiles this file plain too
 * (afl-clang-fast only links it), so the engines see the hypervisor, not the
 * harness.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz/session.h"
#include "vmm/vmm.h"

#define MAX_SLOTS 512

static struct hcf_fuzz_session *session;
static pid_t session_pid; /* the process that opened it */

static void flush_at_exit(void)
{
	if (session && session_pid == getpid())
		hcf_fuzz_session_flush(session);
}

#ifdef HCF_FUZZ_LIBFUZZER
/* libFuzzer scans this section after every input; it clears it before. */
__attribute__((section("__libfuzzer_extra_counters"))) static uint8_t extra_counters[HCF_FEATURE_SLOTS];

static void feed(uint32_t slot)
{
	if (extra_counters[slot] < 255)
		extra_counters[slot]++;
}
#endif

#ifdef HCF_FUZZ_AFL
/*
 * AFL++'s runtime (afl-compiler-rt.o, linked in by afl-clang-fast) maps the
 * map afl-fuzz reads after every input at __afl_area_ptr, __afl_map_size
 * bytes of it (as its forkserver told afl-fuzz). With no instrumented code in
 * the binary the map is AFL++'s default 64 KiB: every slot gets a byte of its
 * own. Byte 0 is the runtime's (it sets it to say the target is alive).
 */
extern uint8_t *__afl_area_ptr;
extern uint32_t __afl_map_size;

static void feed(uint32_t slot)
{
	uint32_t size = __afl_map_size;
	if (size < 2)
		return;
	uint8_t *b = &__afl_area_ptr[1 + slot % (size - 1)];
	if (*b < 255)
		(*b)++;
}
#endif

static void open_session(void)
{
	struct hcf_fuzz_session_opts o = {
		.spec_path = getenv("HCF_FUZZ_SPEC"),
		.dir = getenv("HCF_FUZZ_DIR"),
		.target = getenv("HCF_FUZZ_TARGET"),
		.transport = getenv("HCF_FUZZ_TRANSPORT"),
		.target_params = getenv("HCF_FUZZ_TARGET_OPTS"),
		.diff_target = getenv("HCF_FUZZ_DIFF_TARGET"),
#ifdef HCF_FUZZ_AFL
		.engine = "afl",
#else
		.engine = "libfuzzer",
#endif
	};
	char err[512];
	if (hcf_fuzz_session_open(&session, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "hcfuzz fuzz target: %s\n", err);
		exit(4);
	}
	if (!session_pid)
		atexit(flush_at_exit); /* short-lived children still count */
	session_pid = getpid();
	fprintf(stderr, "hcfuzz fuzz target: %s\n", hcf_fuzz_session_kcov(session));
#ifdef HCF_FUZZ_AFL
	if (__afl_map_size <= HCF_FEATURE_SLOTS)
		fprintf(stderr, "hcfuzz fuzz target: AFL++'s map has %u bytes for %u feature slots: "
			"some features share a byte\n", __afl_map_size, HCF_FEATURE_SLOTS);
#endif
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
#ifndef HCF_FUZZ_AFL
	open_session();
#endif
	/* AFL++'s driver calls this before its forkserver forks, and a KVM VM
	 * cannot be used from a forked child: the AFL++ build opens its
	 * session on the first input, in the child. */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* AFL++'s driver runs an input in its forkserver parent before it
	 * forks: a session (and VM) opened there is the parent's, useless in a
	 * child (KVM answers only the process that created the VM). Drop our
	 * copy and open our own. */
	if (session && session_pid != getpid()) {
		hcf_fuzz_session_close(session);
		session = NULL;
	}
	if (!session)
		open_session();
	uint32_t slots[MAX_SLOTS];
	size_t n = hcf_fuzz_session_exec(session, data, size, slots, MAX_SLOTS);
	if (n == (size_t)-1) {
		/* a finding could not be stored: stop rather than lose findings */
		hcf_fuzz_session_close(session);
		exit(4);
	}
	for (size_t i = 0; i < n; i++)
		feed(slots[i] % HCF_FEATURE_SLOTS);
#ifdef HCF_FUZZ_AFL
	/* AFL++'s persistent loop stops this process with SIGSTOP after we
	 * return. A VM still being torn down on a closer thread would keep
	 * that stop from ever completing (the closer waits uninterruptibly for
	 * KVM's per-VM worker task, which has stopped), and AFL++ would count
	 * a 10 s timeout. Measured under load: a 15 s two-instance campaign ran
	 * 4 inputs. */
	hcf_vmm_wait_async_closes();
#endif
	return 0;
}
