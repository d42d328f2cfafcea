/*
 * it_kvm_target.c: the in-process VMM on the real /dev/kvm.
 *
 * Boots the agent, checks what it detects, runs batches larger than the
 * mailbox, catches exceptions, survives a guest that triple-faults, hangs or
 * hits a KVM internal error (each becomes its verdict and the next program
 * runs in the restored or rebuilt VM), restores the vCPU after destructive
 * calls and rebuilds only what a restore cannot serve (the registers it puts
 * back riding on the next KVM_RUN, checked on a raw guest), looks early at a
 * guest a call handed over, keeps an exception storm short, and captures
 * vector state. PVM-specific cases run
 * only where the agent detects PVM and print SKIP with the reason elsewhere;
 * without a usable /dev/kvm the whole test prints SKIP and exits 77.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <cmocka.h>

#include "exec/targets.h"
#include "oracles/models/model.h"
#include "oracles/oracle.h"
#include "prog/prog.h"
#include "spec/spec.h"
#include "target/target.h"
#include "util/x86.h"
#include "vmm/vmm.h"

static char hypervisor[16];
static char vendor[16];

static struct hcf_abi *load(const char *text)
{
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load_buffer("inline.yaml", text, strlen(text), &abi, &d) != 0)
		hcf_diags_print(&d, stderr);
	assert_non_null(abi);
	return abi;
}

static struct hcf_abi *load_spec_file(const char *name)
{
	const char *src = getenv("HCF_SOURCE_DIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/specs/%s", src ? src : ".", name);
	struct hcf_abi *abi = NULL;
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_spec_load(path, &abi, &d) != 0)
		hcf_diags_print(&d, stderr);
	assert_non_null(abi);
	return abi;
}

static struct hcf_target *open_kvm(const struct hcf_abi *abi, const struct hcf_target_opts *o)
{
	struct hcf_target *t = NULL;
	char err[512];
	struct hcf_target_opts def = { 0 };
	if (hcf_target_open("kvm", &t, abi, o ? o : &def, err, sizeof(err)) != 0)
		fail_msg("kvm target: %s", err);
	return t;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool on_pvm(const char *what)
{
	if (!strcmp(hypervisor, "pvm"))
		return true;
	printf("SKIP %s: needs the PVM build (this host's /dev/kvm is %s)\n", what, hypervisor);
	return false;
}

static void test_detect(void **state)
{
	(void)state;
	struct hcf_target *t = open_kvm(NULL, NULL);
	const struct hcf_target_info *ti = t->ops->info(t);
	snprintf(hypervisor, sizeof(hypervisor), "%s", ti->hypervisor);
	snprintf(vendor, sizeof(vendor), "%s", ti->cpu_vendor);
	printf("# detected %s: %s\n", ti->hypervisor, ti->notes);
	assert_true(!strcmp(ti->hypervisor, "pvm") || !strcmp(ti->hypervisor, "kvm"));
	assert_true(!strcmp(ti->cpu_vendor, "AuthenticAMD") || !strcmp(ti->cpu_vendor, "GenuineIntel"));
	assert_true(ti->dirty_log);
	if (strstr(ti->facts, "pvm=yes"))
		assert_non_null(strstr(ti->facts, "native=yes")); /* the agent left PVM's emulator */
	hcf_target_close(t);
}

/* The spec of the detected hypervisor: undeclared numbers with every other
 * register random must keep the whole contract, over several mailbox batches. */
static void test_undeclared_many_batches(void **state)
{
	(void)state;
	struct hcf_abi *abi = load_spec_file(!strcmp(hypervisor, "pvm") ? "pvm.yaml" : "kvm.yaml");
	struct hcf_target *t = open_kvm(abi, NULL);
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	uint64_t x = 0x243f6a8885a308d3ull;
	const size_t n = 3 * HCF_MBOX_MAX_CALLS + 17; /* several batches and a partial one */
	for (size_t i = 0; i < n; i++) {
		struct hcf_pcall *c = hcf_prog_add_call(&p, -1, 0x7f000000u + i);
		assert_non_null(c);
		for (unsigned r = 0; r < HCF_NGPR; r++) {
			if (r == abi->nr_reg || r == HCF_RSP)
				continue;
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			hcf_pcall_set(c, r, x);
		}
	}
	struct hcf_prog_result res;
	hcf_result_init(&res, n);
	assert_int_equal(t->ops->run(t, &p, &res), 0);
	assert_int_equal(res.liveness, HCF_LIVE_OK);
	assert_int_equal(res.ndone, n);
	struct hcf_model m;
	assert_int_equal(hcf_model_open(&m, abi, t->ops->info(t)), 0);
	struct hcf_call_verdict *cvs = calloc(n, sizeof(*cvs));
	enum hcf_verdict v = hcf_oracles_check(abi, &p, &res, &m, t->ops->info(t), cvs);
	if (!strcmp(hypervisor, "pvm")) {
		assert_int_equal(v, HCF_V_PASS);
		for (size_t i = 0; i < n; i += 1000)
			assert_int_equal(res.calls[i].after[HCF_RAX], (uint64_t)-38);
	}
	for (size_t i = 0; i < n; i++)
		assert_int_equal(res.calls[i].outcome, HCF_CO_RETURNED);
	free(cvs);
	hcf_model_close(&m);
	hcf_result_free(&res);
	hcf_prog_free(&p);
	hcf_target_close(t);
	hcf_spec_free(abi);
}

/* A software breakpoint is delivered to the agent's IDT: an EXCEPTION outcome
 * with vector 3 and every register as it was. */
static void test_exception_capture(void **state)
{
	(void)state;
	struct hcf_abi *abi = load("hcfuzz_spec: 1\nabi: bp\ntransport: \"int 3\"\n"
				   "call_number: {reg: rax}\nreturn: rax\n"
				   "calls:\n  - {name: c, nr: 7}\n");
	struct hcf_target *t = open_kvm(abi, NULL);
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	hcf_prog_add_call(&p, 0, 7);
	hcf_prog_add_call(&p, 0, 7);
	struct hcf_prog_result res;
	hcf_result_init(&res, 2);
	assert_int_equal(t->ops->run(t, &p, &res), 0);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(res.calls[i].outcome, HCF_CO_EXCEPTION);
		assert_int_equal(res.calls[i].vector, 3);
		for (unsigned r = 0; r < HCF_NGPR; r++)
			assert_int_equal(res.calls[i].before[r], res.calls[i].after[r]);
	}
	struct hcf_call_verdict cvs[2];
	enum hcf_verdict v = hcf_oracles_check(abi, &p, &res, NULL, t->ops->info(t), cvs);
	assert_int_equal(v, HCF_V_FAIL);
	assert_string_equal(cvs[0].issues[0].oracle, "exception");
	hcf_result_free(&res);
	hcf_prog_free(&p);
	hcf_target_close(t);
	hcf_spec_free(abi);
}

/* The other vendor's hypercall instruction: #UD with KVM's patching quirk off. */
static void test_wrong_vendor_instruction(void **state)
{
	(void)state;
	bool amd = !strcmp(vendor, "AuthenticAMD");
	char spec[256];
	snprintf(spec, sizeof(spec),
		 "hcfuzz_spec: 1\nabi: ud\ntransport: %s\ncall_number: {reg: rax}\nreturn: rax\n"
		 "exceptions: [UD]\ncalls:\n  - {name: c, nr: 7}\n", amd ? "vmcall" : "vmmcall");
	struct hcf_abi *abi = load(spec);
	struct hcf_target *t = open_kvm(abi, NULL);
	assert_non_null(strstr(t->ops->info(t)->facts, "fix-hypercall-quirk=disabled"));
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	hcf_prog_add_call(&p, 0, 7);
	struct hcf_prog_result res;
	hcf_result_init(&res, 1);
	assert_int_equal(t->ops->run(t, &p, &res), 0);
	assert_int_equal(res.calls[0].outcome, HCF_CO_EXCEPTION);
	assert_int_equal(res.calls[0].vector, 6);
	hcf_result_free(&res);
	hcf_prog_free(&p);
	hcf_target_close(t);
	hcf_spec_free(abi);
}

/* The guest triple-faults in a call the spec does not excuse: CRASH; the
 * target rebuilds and the next program runs. */
static void test_crash_and_rebuild(void **state)
{
	(void)state;
	if (!on_pvm("triple fault through PVM's set-CR3 hypercall"))
		return;
	struct hcf_abi *abi = load("hcfuzz_spec: 1\nabi: cr3\ntransport: \"int 0x1b\"\n"
				   "call_number: {reg: rax}\nreturn: rax\nerror_convention: negative_errno\n"
				   "calls:\n  - {name: set_cr3, nr: 0x1001, input: {v: rbx}, returns: [0]}\n"
				   "  - {name: nope, nr: 0x1006, errors: [38]}\n");
	struct hcf_target *t = open_kvm(abi, NULL);
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	hcf_pcall_set(hcf_prog_add_call(&p, 0, 0x1001), HCF_RBX, 0);
	hcf_prog_add_call(&p, 1, 0x1006);
	struct hcf_prog_result res;
	hcf_result_init(&res, 2);
	assert_int_equal(t->ops->run(t, &p, &res), 0);
	assert_int_equal(res.liveness, HCF_LIVE_SHUTDOWN);
	assert_int_equal(res.calls[0].outcome, HCF_CO_GUEST_LOST);
	assert_int_equal(res.calls[1].outcome, HCF_CO_NOT_RUN);
	struct hcf_call_verdict cvs[2];
	assert_int_equal(hcf_oracles_check(abi, &p, &res, NULL, t->ops->info(t), cvs), HCF_V_CRASH);
	assert_int_equal(cvs[0].v, HCF_V_CRASH);
	assert_int_equal(cvs[1].v, HCF_V_SKIP);
	/* the rebuilt VM answers */
	hcf_prog_remove_call(&p, 0);
	assert_int_equal(t->ops->run(t, &p, &res), 0);
	assert_int_equal(res.liveness, HCF_LIVE_OK);
	assert_int_equal(res.calls[0].after[HCF_RAX], (uint64_t)-38);
	hcf_result_free(&res);
	hcf_prog_free(&p);
	hcf_target_close(t);
	hcf_spec_free(abi);
}

/* Program text against abi, run on t; the verdict-free result in res. */
static void run_text(struct hcf_target *t, const struct hcf_abi *abi, const char *text,
		     struct hcf_prog_result *res)
{
	struct hcf_prog p;
	struct hcf_diags d;
	hcf_diags_init(&d);
	if (hcf_prog_parse(&p, abi, "test", text, strlen(text), &d) != 0) {
		hcf_diags_print(&d, stderr);
		fail_msg("cannot parse: %s", text);
	}
	assert_int_equal(t->ops->run(t, &p, res), 0);
	hcf_prog_free(&p);
}

/*
 * After a destructive call or a lost guest the next program runs on the
 * restored vCPU, not a new VM: the counts say which. PVM's VIF page
 * registration comes back with the MSRs (or, where KVM_SET_MSRS refuses it,
 * from the agent); had it not, the agent would run in PVM's emulator, which
 * its check sees, and the VM would be rebuilt. Page tables the hypervisor
 * wrote cannot be restored under PVM's shadow paging: a new VM. With
 * no-restore, a new VM each time.
 */
/*
 * The registers a restore puts back ride on the next KVM_RUN (kvm_run's
 * synced registers): a raw guest that counts in rbx between doorbells must
 * count on from the snapshot's value after every restore, read back before
 * it ran (hcf_vmm_get_gprs puts them back first) and after; a restore KVM
 * refuses is a host error before the guest runs, and says so.
 */
static void ring(struct hcf_vmm *vm, uint64_t want_rbx)
{
	struct hcf_vx vx;
	assert_int_equal(hcf_vmm_run(vm, 2000, &vx), 0);
	assert_int_equal(vx.kind, HCF_VX_DOORBELL);
	uint64_t gpr[16];
	assert_int_equal(hcf_vmm_get_gprs(vm, gpr, NULL, NULL), 0);
	assert_int_equal(gpr[HCF_RBX], want_rbx);
}

static void test_restore_registers_ride(void **state)
{
	(void)state;
	struct hcf_vmm_config cfg = { .mem_size = 4u << 20, .dirty_log = true };
	struct hcf_vmm *vm = NULL;
	char err[256];
	assert_int_equal(hcf_vmm_open(&vm, &cfg, err, sizeof(err)), 0);
	/* 1: inc %rbx; out %eax, $HCF_PORT_DOORBELL; jmp 1b */
	static const uint8_t code[] = { 0x48, 0xff, 0xc3, 0xe7, HCF_PORT_DOORBELL, 0xeb, 0xf9 };
	assert_int_equal(hcf_gmem_write(hcf_vmm_mem(vm), hcf_gpa(0x100000), code, sizeof(code)), 0);
	assert_int_equal(hcf_vmm_setup_long_mode(vm, 0x100000, 0x300000, err, sizeof(err)), 0);
	ring(vm, 1);
	assert_int_equal(hcf_vmm_snapshot(vm, err, sizeof(err)), 0);
	ring(vm, 2);
	ring(vm, 3);
	size_t pages;
	assert_int_equal(hcf_vmm_restore(vm, 0, 0, true, &pages), 0);
	uint64_t gpr[16];
	assert_int_equal(hcf_vmm_get_gprs(vm, gpr, NULL, NULL), 0);
	assert_int_equal(gpr[HCF_RBX], 1);
	ring(vm, 2);
	assert_int_equal(hcf_vmm_restore(vm, 0, 0, true, &pages), 0);
	ring(vm, 2);
	assert_false(hcf_vmm_restore_refused(vm));

	assert_int_equal(hcf_vmm_spoil_snapshot(vm), 0);
	assert_int_equal(hcf_vmm_restore(vm, 0, 0, true, &pages), 0);
	struct hcf_vx vx;
	assert_int_equal(hcf_vmm_run(vm, 2000, &vx), -1);
	assert_int_equal(vx.kind, HCF_VX_HOST_ERROR);
	assert_true(hcf_vmm_restore_refused(vm));
	assert_non_null(strstr(vx.detail, "refused the registers of the restored vCPU"));
	hcf_vmm_close(vm);
}

static void test_restore_not_rebuild(void **state)
{
	(void)state;
	if (!on_pvm("restores after PVM's destructive hypercalls"))
		return;
	struct hcf_abi *abi = load_spec_file("pvm.yaml");
	struct hcf_target *t = open_kvm(abi, NULL);
	const struct hcf_target_info *ti = t->ops->info(t);
	struct hcf_prog_result res;
	hcf_result_init(&res, 1);
	static const char *const lose[] = {
		"call wrmsr index=0x4b564d10 value=0\n",  /* the VIF page unregistered */
		"call set_cr3 value=0\n",                  /* a shutdown */
		"call load_idtr base=0x600000 limit=0xfff\n",
	};
	for (size_t i = 0; i < sizeof(lose) / sizeof(lose[0]); i++) {
		uint64_t restores = ti->restores, rebuilds = ti->rebuilds;
		run_text(t, abi, lose[i], &res);
		run_text(t, abi, "call reserved_1006\n", &res);
		assert_int_equal(res.liveness, HCF_LIVE_OK);
		assert_int_equal(res.calls[0].after[HCF_RAX], (uint64_t)-38);
		assert_int_equal(ti->restores, restores + 1);
		assert_int_equal(ti->rebuilds, rebuilds);
	}
	assert_int_equal(ti->restores_failed, 0);
	/* the VIF page at the page tables: PVM writes into the PML4 */
	run_text(t, abi, "call set_vif_page gpa=0x80fa\n", &res);
	run_text(t, abi, "call reserved_1006\n", &res);
	assert_int_equal(res.liveness, HCF_LIVE_OK);
	assert_int_equal(ti->restores_failed, 1);
	assert_int_equal(ti->rebuilds, 1);
	hcf_target_close(t);

	struct hcf_target_opts o = { .params = { "no-restore" }, .nparams = 1 };
	t = open_kvm(abi, &o);
	ti = t->ops->info(t);
	run_text(t, abi, "call set_cr0 value=0x80000033\n", &res);
	run_text(t, abi, "call reserved_1006\n", &res);
	assert_int_equal(res.calls[0].after[HCF_RAX], (uint64_t)-38);
	assert_int_equal(ti->restores, 0);
	assert_int_equal(ti->rebuilds, 1);
	hcf_result_free(&res);
	hcf_target_close(t);
	hcf_spec_free(abi);
}

/* A KVM internal error (PVM's emulator cannot deliver int 0x80) is CRASH too. */
static void test_internal_error(void **state)
{
	(void)state;
	if (!on_pvm("KVM internal error from int 0x80 under PVM"))
		return;
	struct hcf_abi *abi = load("hcfuzz_spec: 1\nabi: i80\ntransport: \"int 0x80\"\n"
				   "call_number: {reg: rax}\nreturn: rax\ncalls:\n  - {name: c, nr: 1}\n");
	struct hcf_target *t = open_kvm(abi, NULL);
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	hcf_prog_add_call(&p, 0, 1);
	struct hcf_prog_result res;
	hcf_result_init(&res, 1);
	assert_int_equal(t->ops->run(t, &p, &res), 0);
	assert_int_equal(res.liveness, HCF_LIVE_INTERNAL_ERROR);
	struct hcf_call_verdict cv;
	assert_int_equal(hcf_oracles_check(abi, &p, &res, NULL, t->ops->info(t), &cv), HCF_V_CRASH);
	hcf_result_free(&res);
	hcf_prog_free(&p);
	hcf_target_close(t);
	hcf_spec_free(abi);
}

/* A guest stuck inside KVM_RUN: the watchdog turns it into HANG in bounded
 * time, and the next program runs in a rebuilt VM. */
static void test_hang_watchdog(void **state)
{
	(void)state;
	if (!on_pvm("a guest stuck in KVM_RUN (vmmcall in PVM's emulator with the quirk on)"))
		return;
	struct hcf_abi *abi = load("hcfuzz_spec: 1\nabi: hang\ntransport: vmmcall\n"
				   "call_number: {reg: rax}\nreturn: rax\ncalls:\n  - {name: c, nr: 1}\n");
	struct hcf_target_opts o = { .watchdog_ms = 300,
				     .params = { "pvm-emulated", "keep-fix-hypercall-quirk" },
				     .nparams = 2 };
	struct hcf_target *t = open_kvm(abi, &o);
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	hcf_prog_add_call(&p, 0, 1);
	struct hcf_prog_result res;
	hcf_result_init(&res, 1);
	double t0 = now_s();
	assert_int_equal(t->ops->run(t, &p, &res), 0);
	double dt = now_s() - t0;
	assert_int_equal(res.liveness, HCF_LIVE_HANG);
	assert_int_equal(res.calls[0].outcome, HCF_CO_HANG);
	assert_true(dt < 5.0); /* bounded: the watchdog fired, nothing waited forever */
	struct hcf_call_verdict cv;
	assert_int_equal(hcf_oracles_check(abi, &p, &res, NULL, t->ops->info(t), &cv), HCF_V_HANG);
	hcf_target_close(t);
	hcf_spec_free(abi);
	/* a fresh target of the same kind still works */
	abi = load_spec_file("pvm.yaml");
	t = open_kvm(abi, NULL);
	hcf_prog_free(&p);
	hcf_prog_init(&p, abi);
	hcf_prog_add_call(&p, -1, 0x2222);
	assert_int_equal(t->ops->run(t, &p, &res), 0);
	assert_int_equal(res.liveness, HCF_LIVE_OK);
	hcf_result_free(&res);
	hcf_prog_free(&p);
	hcf_target_close(t);
	hcf_spec_free(abi);
}

/*
 * A call the spec says hands the guest over to the program's code is looked
 * at early: a guest that executes outside the agent is a runaway at once
 * (corpus/pvm/regression/runaway.hcf: bytes that loop), not after the
 * watchdog; one stuck in the hypervisor (the vCPU in the agent's code) is
 * still a HANG, after the full watchdog, whatever the call declares.
 */
static void test_handover_looked_at(void **state)
{
	(void)state;
	if (!on_pvm("event returns into the program's bytes, a call stuck in PVM's emulator"))
		return;
	struct hcf_abi *abi = load_spec_file("pvm.yaml");
	struct hcf_target *t = open_kvm(abi, NULL);
	struct hcf_prog_result res;
	hcf_result_init(&res, 1);
	run_text(t, abi,
		 "buf b0 size=64 dir=in\nbuf loop size=32 dir=inout fill=0xeb\n"
		 "call event_return_b a=&b0+63 c=&loop+31\n", &res);
	assert_int_equal(res.liveness, HCF_LIVE_RUNAWAY);
	assert_non_null(strstr(res.detail, "handed over to the program's code"));
	hcf_target_close(t);
	hcf_spec_free(abi);

	abi = load("hcfuzz_spec: 1\nabi: hang\ntransport: vmmcall\n"
		   "call_number: {reg: rax}\nreturn: rax\ncalls:\n"
		   "  - {name: c, nr: 1, returns: [], destructive: {why: \"test\", "
		   "hands_over: \"resumes a context of the program's\"}}\n");
	struct hcf_target_opts o = { .watchdog_ms = 300,
				     .params = { "pvm-emulated", "keep-fix-hypercall-quirk" },
				     .nparams = 2 };
	t = open_kvm(abi, &o);
	run_text(t, abi, "call c\n", &res);
	assert_int_equal(res.liveness, HCF_LIVE_HANG);
	assert_int_equal(res.calls[0].outcome, HCF_CO_HANG);
	assert_non_null(strstr(res.detail, "no progress within 300 ms"));
	hcf_result_free(&res);
	hcf_target_close(t);
	hcf_spec_free(abi);
}

/*
 * A triple fault through SMEP: no exception handler can be fetched, and
 * every delivery pushes a frame until the stack runs into unmapped memory.
 * Only the stack's top page is mapped (HCF_GPA_STACK_MAPPED), so the frames
 * stop there: no page below it changes.
 */
static void test_exception_storm_short(void **state)
{
	(void)state;
	if (!on_pvm("a triple fault through set_cr4 with SMEP under PVM"))
		return;
	struct hcf_abi *abi = load_spec_file("pvm.yaml");
	struct hcf_target *t = open_kvm(abi, NULL);
	struct hcf_prog_result res;
	hcf_result_init(&res, 1);
	run_text(t, abi, "call set_cr4 value=0x100620\n", &res);
	assert_int_equal(res.liveness, HCF_LIVE_SHUTDOWN);
	assert_true(res.pages_checked);
	bool top = false;
	for (size_t i = 0; i < res.npages; i++) {
		uint64_t gpa = res.pages[i].gpa;
		if (gpa >= HCF_GPA_STACK_LO && gpa < HCF_GPA_STACK_MAPPED)
			fail_msg("the storm's frames reached stack page 0x%llx below the mapped top",
				 (unsigned long long)gpa);
		top |= gpa == HCF_GPA_STACK_MAPPED;
	}
	assert_true(top); /* the frames were there: the test saw the storm */
	hcf_result_free(&res);
	hcf_target_close(t);
	hcf_spec_free(abi);
}

/* Vector capture: where the target says it works, XMM0-15 come back as the
 * sentinels the agent loaded, and the clobber oracle compares them. */
static void test_vector_capture(void **state)
{
	(void)state;
	struct hcf_abi *abi = load_spec_file(!strcmp(hypervisor, "pvm") ? "pvm.yaml" : "kvm.yaml");
	struct hcf_target_opts o = { .want_vec = true };
	struct hcf_target *t = open_kvm(abi, &o);
	if (!t->ops->info(t)->vec_ok) {
		printf("SKIP vector capture: the target reports it unavailable (%s)\n",
		       t->ops->info(t)->notes);
		hcf_target_close(t);
		hcf_spec_free(abi);
		return;
	}
	struct hcf_prog p;
	hcf_prog_init(&p, abi);
	struct hcf_pcall *c = hcf_prog_add_call(&p, -1, 0x3333);
	c->capture_vec = true;
	struct hcf_prog_result res;
	hcf_result_init(&res, 1);
	assert_int_equal(t->ops->run(t, &p, &res), 0);
	assert_true(res.calls[0].has_vec);
	assert_non_null(res.calls[0].vec);
	assert_memory_equal(&res.calls[0].vec->before, &res.calls[0].vec->after,
			    sizeof(res.calls[0].vec->after));
	hcf_result_free(&res);
	hcf_prog_free(&p);
	hcf_target_close(t);
	hcf_spec_free(abi);
}

int main(void)
{
	char why[256];
	if (hcf_vmm_available(why, sizeof(why)) != 0) {
		/* as tests/integration/lib.sh: with HCF_REQUIRE_VM=1 and a
		 * /dev/kvm, not running is a failure */
		const char *req = getenv("HCF_REQUIRE_VM");
		if (req && !strcmp(req, "1") && access("/dev/kvm", F_OK) == 0) {
			printf("FAIL it_kvm_target: would skip, but HCF_REQUIRE_VM=1 and /dev/kvm "
			       "exists: %s\n", why);
			return 1;
		}
		printf("SKIP it_kvm_target: %s\n", why);
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_undeclared_many_batches),
		cmocka_unit_test(test_exception_capture),
		cmocka_unit_test(test_wrong_vendor_instruction),
		cmocka_unit_test(test_crash_and_rebuild),
		cmocka_unit_test(test_restore_registers_ride),
		cmocka_unit_test(test_restore_not_rebuild),
		cmocka_unit_test(test_internal_error),
		cmocka_unit_test(test_hang_watchdog),
		cmocka_unit_test(test_handover_looked_at),
		cmocka_unit_test(test_exception_storm_short),
		cmocka_unit_test(test_vector_capture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
