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
 *   HCF_FUZZ_TARGET_OPTS the target's parameters (--target-opt), one per line
 *
 * The hypervisor's behaviour is the coverage: each feature slot an execution
 * hits (features.h) is an extra counter for libFuzzer, and for AFL++ a block
 * of its own in hcf_feature_sink, which AFL++'s instrumentation of this file
 * turns into an edge. Only this file is instrumented: the library it links
 * is plain, so the engines see the hypervisor, not the harness.
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
 * One block per slot. Each case's asm text differs, so the compiler can
 * neither merge the cases nor turn the switch into a table lookup: AFL++ sees
 * HCF_FEATURE_SLOTS distinct edges.
 */
#define C1(n) case (n): __asm__ volatile("nop # hcf feature " #n); break;
#define C4(n) C1((n) * 4) C1((n) * 4 + 1) C1((n) * 4 + 2) C1((n) * 4 + 3)
#define C16(n) C4((n) * 4) C4((n) * 4 + 1) C4((n) * 4 + 2) C4((n) * 4 + 3)
#define C64(n) C16((n) * 4) C16((n) * 4 + 1) C16((n) * 4 + 2) C16((n) * 4 + 3)
#define C256(n) C64((n) * 4) C64((n) * 4 + 1) C64((n) * 4 + 2) C64((n) * 4 + 3)
#define C1024(n) C256((n) * 4) C256((n) * 4 + 1) C256((n) * 4 + 2) C256((n) * 4 + 3)
#define C4096(n) C1024((n) * 4) C1024((n) * 4 + 1) C1024((n) * 4 + 2) C1024((n) * 4 + 3)
#define C16384(n) C4096((n) * 4) C4096((n) * 4 + 1) C4096((n) * 4 + 2) C4096((n) * 4 + 3)

_Static_assert(HCF_FEATURE_SLOTS == 16384, "the sink has 16384 blocks");

/* optnone: optimizing this switch under AFL++'s instrumentation takes clang
 * a quarter of an hour; unoptimized it compiles in seconds, with the same
 * guard per case (16386 in __sancov_guards either way). */
__attribute__((noinline, optnone)) static void hcf_feature_sink(uint32_t slot)
{
	switch (slot) {
		C16384(0)
	default:
		break;
	}
}

static void feed(uint32_t slot)
{
	hcf_feature_sink(slot);
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
