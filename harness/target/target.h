/*
 * target.h: the interface every target implements.
 *
 * A target runs programs and returns results. The in-process KVM VMM is one
 * implementation ("kvm"); the reference-model target ("model",
 * exec/target_model.c, above the oracles whose models it runs) answers from
 * the spec's model without a VM, for self-tests and differential runs.
 * Targets are rows of a table (exec/targets.h); the CLI picks one by name.
 */
#ifndef HCF_TARGET_H
#define HCF_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prog/prog.h"
#include "spec/spec.h"
#include "hcf_proto.h"
#include "target/result.h"

#define HCF_TARGET_MAX_PARAMS 16

/* What every target understands; what only one does travels as "key=value"
 * (or "key") strings in params, which that target parses and refuses when
 * it does not know them (docs/targets.md lists each target's). */
struct hcf_target_opts {
	unsigned watchdog_ms;     /* no progress for this long: a hang; 0: HCF_WATCHDOG_DEFAULT_MS */
	bool timing;              /* record rdtsc around every call */
	bool want_vec;            /* capture XMM state where the target says it works */
	const char *agent_path;   /* agent ELF; NULL: the one built into hcfuzz */
	const char *params[HCF_TARGET_MAX_PARAMS];
	size_t nparams;
};

/* The value of target parameter key in opts: "" for a bare key, NULL when
 * absent. */
const char *hcf_target_param(const struct hcf_target_opts *opts, const char *key);
/* The parameters as one string, one per line (how a campaign hands them
 * to its engine processes), and back: list is split in place and must
 * outlive opts. -1 if there are more than HCF_TARGET_MAX_PARAMS. */
char *hcf_target_params_join(const char *const *params, size_t n);
int hcf_target_params_split(struct hcf_target_opts *opts, char *list);
/* Every parameter of opts is one of keys[] (NULL-terminated): 0, or -1 with
 * the one that is not in err. */
int hcf_target_params_check(const struct hcf_target_opts *opts, const char *target,
			    const char *const keys[], char *err, size_t errlen);

#define HCF_WATCHDOG_DEFAULT_MS 2000u

struct hcf_target_info {
	char target[16];          /* "kvm", "model" */
	char hypervisor[16];      /* "pvm", "kvm", "unknown", "model" */
	char cpu_vendor[13];
	char hv_signature[13];
	/* CPUID leaves hv_base+1..+5 as the agent read them (EAX..EDX), when
	 * the target's agent reports them: what the hypervisor says it offers */
	uint32_t hv_cpuid[HCF_HV_LEAVES][4];
	bool hv_cpuid_known;
	/* The devices the VMM gave the guest, by handle (a Solo5 tender's
	 * manifest, as the agent read it at boot); 0 where the target has none */
	struct hcf_boot_device devices[HCF_MAX_DEVICES];
	size_t ndevices;
	/* Under Xen, the event channel the agent bound at boot for its wake-up
	 * event (0: none): a port in use before any program, which a model of
	 * the event channels must know */
	uint32_t xen_wake_port;
	bool vec_ok;              /* vector capture works on this target */
	bool dirty_log;           /* dirty-page log available (stray write detection, reset) */
	/* What only this target knows, as "key=value" words: the kvm target's
	 * "pvm=yes native=yes fix-hypercall-quirk=disabled" (docs/targets.md). */
	char facts[128];
	/* RFLAGS bits the target captures faithfully around a call (0: every
	 * architectural one). PVM's native mode runs the guest kernel at CPL3,
	 * where popf cannot clear IF: the IF the agent sees is not the guest's
	 * virtual IF, so that target leaves it out. */
	uint64_t rflags_captured;
	char notes[512];          /* capabilities checked, quirks, what was skipped */
	/* running counts, for campaigns and benchmarks */
	uint64_t resets;          /* ops->reset calls served from the snapshot */
	uint64_t pages_restored;  /* pages those resets copied back */
	uint64_t restores;        /* of those, with the vCPU's whole state put back (after a
	                             destructive call or a lost guest) */
	uint64_t restores_failed; /* resets the snapshot could not serve (a restore that failed
	                             its check, page tables written): the VM was rebuilt */
	uint64_t rebuilds;        /* VMs torn down and built again */
	uint64_t guest_ns;        /* time inside the hypervisor's run call (KVM_RUN): the guest
	                             and the hypervisor; 0 where the target cannot tell */
};

struct hcf_target;

struct hcf_target_ops {
	const char *name;
	const char *summary;
	int (*open)(struct hcf_target **out, const struct hcf_abi *abi,
		    const struct hcf_target_opts *opts, char *err, size_t errlen);
	/*
	 * Run p from its first call. Returns 0 when r describes what happened
	 * (also when the guest died: the target restores or rebuilds itself and
	 * is usable again), -1 when the harness itself failed (r->liveness
	 * HCF_LIVE_HARNESS).
	 */
	int (*run)(struct hcf_target *t, const struct hcf_prog *p, struct hcf_prog_result *r);
	/* Back to the state right after boot (registers, memory). */
	int (*reset)(struct hcf_target *t);
	void (*close)(struct hcf_target *t);
	const struct hcf_target_info *(*info)(struct hcf_target *t);
	/* Benchmark baselines; NULL when the target has none. */
	int (*raw_loop)(struct hcf_target *t, const struct hcf_prog *p, uint64_t iterations,
			double *seconds);
	int (*empty_round_trip)(struct hcf_target *t, double *seconds);
	/* The consoles of every boot (the hypervisor's, a guest kernel's, the
	 * agent's) to path, for the run's record; NULL: the target has none. */
	int (*save_console)(struct hcf_target *t, const char *path);
	/* Can this host run the target, without starting it? 0, or -1 with what
	 * is missing and how to get it (NULL: it always can). */
	int (*available)(const struct hcf_target_opts *opts, char *why, size_t len);
};

/* Every target starts with this. */
struct hcf_target {
	const struct hcf_target_ops *ops;
	const struct hcf_abi *abi;
};

/* The targets this layer implements; exec/targets.h has the table of all. */
extern const struct hcf_target_ops hcf_target_kvm_ops;
extern const struct hcf_target_ops hcf_target_qemu_ops;
extern const struct hcf_target_ops hcf_target_nested_ops;
extern const struct hcf_target_ops hcf_target_xen_pvh_ops;
extern const struct hcf_target_ops hcf_target_xen_pv_ops;
extern const struct hcf_target_ops hcf_target_solo5_ops;

/* Convenience wrappers. */
static inline int hcf_target_run(struct hcf_target *t, const struct hcf_prog *p,
				 struct hcf_prog_result *r)
{
	return t->ops->run(t, p, r);
}
static inline void hcf_target_close(struct hcf_target *t)
{
	if (t)
		t->ops->close(t);
}

#endif /* HCF_TARGET_H */
