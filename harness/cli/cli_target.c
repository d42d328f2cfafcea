/* cli_target.c: shared target options and opening the target with spec detection. */
#include "cli/cli_target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "exec/targets.h"
#include "oracles/verdict.h"

enum {
	O_TARGET = 512, O_WATCHDOG, O_TIMING, O_VEC, O_AGENT, O_RESPONDER, O_BATCH, O_KEEP_QUIRK,
	O_PVM_EMULATED, O_TARGET_OPT, O_TRANSPORT, O_TENDER,
};

static const struct option target_opts[] = {
	{ "target", required_argument, NULL, O_TARGET },
	{ "watchdog", required_argument, NULL, O_WATCHDOG },
	{ "timing", no_argument, NULL, O_TIMING },
	{ "vec", no_argument, NULL, O_VEC },
	{ "agent", required_argument, NULL, O_AGENT },
	{ "responder", required_argument, NULL, O_RESPONDER },
	{ "batch", required_argument, NULL, O_BATCH },
	{ "keep-fix-hypercall-quirk", no_argument, NULL, O_KEEP_QUIRK },
	{ "pvm-emulated", no_argument, NULL, O_PVM_EMULATED },
	{ "target-opt", required_argument, NULL, O_TARGET_OPT },
	{ "transport", required_argument, NULL, O_TRANSPORT },
	{ "tender", required_argument, NULL, O_TENDER },
};

void hcf_cli_target_defaults(struct hcf_cli_target *t)
{
	memset(t, 0, sizeof(*t));
	t->name = "kvm";
}

const char *hcf_cli_target_usage(void)
{
	return "  --target NAME      kvm (in-process VMM on /dev/kvm, default), qemu (the agent\n"
	       "                     as QEMU's guest), kvm-nested (upstream KVM inside QEMU),\n"
	       "                     xen-pv, xen-pvh (Xen's dom0), solo5 (a Solo5 tender's\n"
	       "                     guest) or model; `hcfuzz targets` says which run here\n"
	       "  --transport KIND   make calls with this transport of the spec's transport\n"
	       "                     list (e.g. syscall, hypercall_page; default: its first)\n"
	       "  --watchdog MS      a guest that makes no progress for MS ms is a HANG (2000)\n"
	       "  --timing           record rdtsc cycles around every call\n"
	       "  --vec              capture XMM0-15 around calls where the target supports it\n"
	       "  --batch N          calls per mailbox batch (default 4096)\n"
	       "  --agent FILE       guest agent ELF instead of the built-in one\n"
	       "  --responder NAME   PIO/MMIO responder of the kvm target: empty (default),\n"
	       "                     zero; test only: clobber:REG (changes REG behind the call),\n"
	       "                     scribble (writes garbage over the mailbox), poke:GPA\n"
	       "                     (writes a byte of guest memory behind the call),\n"
	       "                     store:PORT (a pointer in rbx, rdx clobbered)\n"
	       "  --keep-fix-hypercall-quirk  leave KVM's vmcall/vmmcall patching quirk on\n"
	       "  --pvm-emulated     on PVM, keep the agent in PVM's instruction emulator\n"
	       "  --target-opt K[=V] a parameter of the target (docs/targets.md); --responder\n"
	       "                     and the two above are the kvm target's\n"
	       "  --tender PATH      the solo5 target's tender (--target-opt tender=PATH)\n";
}

void hcf_cli_target_options(struct option *lopts, size_t at)
{
	size_t n = sizeof(target_opts) / sizeof(target_opts[0]);
	memcpy(&lopts[at], target_opts, sizeof(target_opts));
	memset(&lopts[at + n], 0, sizeof(lopts[0]));
}

int hcf_cli_parse_u64(const char *s, uint64_t *v)
{
	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	char *end;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*v = x;
	return 0;
}

/* One target parameter, "key" or "key=value" (kept for the target to parse). */
static int add_param(struct hcf_cli_target *t, const char *key, const char *value, const char *cmd)
{
	if (t->opts.nparams >= HCF_TARGET_MAX_PARAMS) {
		hcf_cli_error(cmd, "at most %u target parameters", HCF_TARGET_MAX_PARAMS);
		return -1;
	}
	char *p = t->param_store[t->opts.nparams];
	if (snprintf(p, sizeof(t->param_store[0]), "%s%s%s", key, value ? "=" : "", value ? value : "") >=
	    (int)sizeof(t->param_store[0])) {
		hcf_cli_error(cmd, "target parameter too long: %s", key);
		return -1;
	}
	t->opts.params[t->opts.nparams++] = p;
	return 0;
}

void hcf_cli_target_copy(struct hcf_cli_target *dst, const struct hcf_cli_target *src)
{
	*dst = *src;
	for (size_t i = 0; i < dst->opts.nparams; i++)
		dst->opts.params[i] = dst->param_store[i];
}

int hcf_cli_target_param(struct hcf_cli_target *t, const char *kv, const char *cmd)
{
	return add_param(t, kv, NULL, cmd);
}

int hcf_cli_target_option(struct hcf_cli_target *t, int ch, const char *arg, const char *cmd)
{
	uint64_t v;
	switch (ch) {
	case O_TARGET:
		if (!hcf_target_find(arg)) {
			hcf_cli_error(cmd, "unknown target '%s' (`hcfuzz targets` lists them)", arg);
			return -1;
		}
		t->name = arg;
		return 0;
	case O_WATCHDOG:
		if (hcf_cli_parse_u64(arg, &v) != 0 || v == 0 || v > 600000) {
			hcf_cli_error(cmd, "--watchdog: milliseconds 1..600000, got %s", arg);
			return -1;
		}
		t->opts.watchdog_ms = (unsigned)v;
		return 0;
	case O_TIMING: t->opts.timing = true; return 0;
	case O_VEC: t->opts.want_vec = true; return 0;
	case O_AGENT: t->opts.agent_path = arg; return 0;
	case O_RESPONDER: return add_param(t, "responder", arg, cmd);
	case O_BATCH:
		if (hcf_cli_parse_u64(arg, &v) != 0 || v == 0 || v > HCF_MBOX_MAX_CALLS) {
			hcf_cli_error(cmd, "--batch: 1..%u, got %s", HCF_MBOX_MAX_CALLS, arg);
			return -1;
		}
		t->batch = (size_t)v;
		return 0;
	case O_KEEP_QUIRK: return add_param(t, "keep-fix-hypercall-quirk", NULL, cmd);
	case O_PVM_EMULATED: return add_param(t, "pvm-emulated", NULL, cmd);
	case O_TARGET_OPT: return add_param(t, arg, NULL, cmd);
	case O_TRANSPORT: t->transport = arg; return 0;
	case O_TENDER: return add_param(t, "tender", arg, cmd);
	default: return 1;
	}
}

/* A target this host cannot run (no /dev/kvm, no QEMU, no kernel: its
 * available op says what is missing) is SKIP with the reason, not an error. */
static int unavailable(const struct hcf_cli_target *t, const char *cmd)
{
	const struct hcf_target_ops *ops = hcf_target_find(t->name);
	char why[512];
	if (!ops || !ops->available || ops->available(&t->opts, why, sizeof(why)) == 0)
		return 0;
	fprintf(stderr, "hcfuzz %s: SKIP: target %s cannot run on this host: %s\n", cmd, t->name, why);
	return HCF_EXIT_SKIP;
}

/* Boot the target once without a spec to learn what hypervisor it runs on. */
static int detect_spec(struct hcf_cli_target *t, const char *cmd, char *path, size_t len, bool quiet)
{
	struct hcf_target *probe = NULL;
	char err[512];
	int skip = unavailable(t, cmd);
	if (skip)
		return skip;
	if (hcf_target_open(t->name, &probe, NULL, &t->opts, err, sizeof(err)) != 0) {
		hcf_cli_error(cmd, "target %s: %s", t->name, err);
		return HCF_EXIT_ERROR;
	}
	const struct hcf_target_info *ti = probe->ops->info(probe);
	char hv[sizeof(ti->hypervisor)];
	snprintf(hv, sizeof(hv), "%s", ti->hypervisor);
	char notes[sizeof(ti->notes)];
	snprintf(notes, sizeof(notes), "%s", ti->notes);
	hcf_target_close(probe);
	if (!strcmp(hv, "unknown") || !strcmp(hv, "model")) {
		hcf_cli_error(cmd, "cannot tell which spec fits this hypervisor (%s); pass --spec", notes);
		return HCF_EXIT_USAGE;
	}
	if (hcf_cli_find_spec(hv, path, len) != 0) {
		hcf_cli_error(cmd, "detected %s but found no specs/%s.yaml; pass --spec", hv, hv);
		return HCF_EXIT_USAGE;
	}
	if (!quiet)
		fprintf(stderr, "hcfuzz %s: detected %s, using %s\n", cmd, hv, path);
	return HCF_EXIT_PASS;
}

int hcf_cli_load_spec_for(const struct hcf_cli_target *t, const char *spec, const char *cmd,
			  struct hcf_abi **abi)
{
	int rc = hcf_cli_load_spec(spec, abi);
	if (rc != HCF_EXIT_PASS)
		return rc;
	char err[512];
	if (t->transport && hcf_spec_use_transport(*abi, t->transport, err, sizeof(err)) != 0) {
		hcf_cli_error(cmd, "--transport: %s", err);
		hcf_spec_free(*abi);
		*abi = NULL;
		return HCF_EXIT_USAGE;
	}
	return HCF_EXIT_PASS;
}

int hcf_cli_open_target(struct hcf_cli_target *t, const char *spec, const char *cmd,
			struct hcf_abi **abi, struct hcf_target **target, bool quiet)
{
	char path[4096];
	*abi = NULL;
	*target = NULL;
	if (!spec) {
		if (!strcmp(t->name, "model")) {
			hcf_cli_error(cmd, "the model target needs --spec");
			return HCF_EXIT_USAGE;
		}
		int rc = detect_spec(t, cmd, path, sizeof(path), quiet);
		if (rc != HCF_EXIT_PASS)
			return rc;
		spec = path;
	}
	int rc = hcf_cli_load_spec_for(t, spec, cmd, abi);
	if (rc != HCF_EXIT_PASS)
		return rc;
	char err[512];
	if ((rc = unavailable(t, cmd)) != 0) {
		hcf_spec_free(*abi);
		*abi = NULL;
		return rc;
	}
	if (hcf_target_open(t->name, target, *abi, &t->opts, err, sizeof(err)) != 0) {
		hcf_cli_error(cmd, "target %s: %s", t->name, err);
		hcf_spec_free(*abi);
		*abi = NULL;
		return HCF_EXIT_ERROR;
	}
	return HCF_EXIT_PASS;
}

void hcf_cli_save_console(struct hcf_target *t, const char *dir, const char *cmd, bool quiet)
{
	if (!t->ops->save_console || !dir)
		return;
	char path[4096];
	snprintf(path, sizeof(path), "%s/console.log", dir);
	if (t->ops->save_console(t, path) != 0)
		hcf_cli_error(cmd, "writing %s: %s", path, strerror(errno));
	else if (!quiet)
		printf("console of every boot: %s\n", path);
}
