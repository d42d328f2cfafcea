/* cmd_repro.c: "hcfuzz repro", a finding as a standalone C program for a hypervisor's own tests. */
/*
 * Loads the finding (its minimized program when there is one), the spec it
 * was found with (--spec, else the path finding.json records, relative to the
 * current directory) and writes the program reports/repro_c.c emits: libc and
 * /dev/kvm only, exit 0 when the hypervisor keeps the contract, 1 when the
 * finding reproduces. A finding that cannot be read or turned into a check is
 * a usage error naming the file.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "fuzz/campaign_dir.h"
#include "fuzz/finding.h"
#include "oracles/verdict.h"
#include "reports/repro.h"
#include "util/fileio.h"
#include "util/xalloc.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hcfuzz repro [--spec FILE] [-o FILE.c] [--full] FINDING\n"
		"\n"
		"Write a finding as a standalone C program (libc and /dev/kvm only) that replays\n"
		"its program in a VM like hcfuzz's and checks what the finding's signature names.\n"
		"The program exits 0 when the hypervisor keeps the contract, 1 when the finding\n"
		"still reproduces, 2 on a setup error, 3 when the call could not be checked.\n"
		"Build and run it with: cc -O2 -o repro FILE.c && ./repro\n"
		"\n"
		"  FINDING            a finding directory (DIR/findings/<id>)\n"
		"  --spec FILE        the spec the finding was found with (default: the path in\n"
		"                     finding.json, relative to the current directory)\n"
		"  -o, --output FILE  where to write the program (default FINDING/repro.c; - for stdout)\n"
		"  --full             replay program.hcf even when minimized.hcf exists\n"
		"  -h, --help         this text\n"
		"\n"
		"exit codes: 0 written, 2 usage error or a finding that cannot be read or replayed,\n"
		"            4 the program could not be written\n");
}

/* finding.json fields the finding loader does not keep. */
struct extra {
	char target[16];
	char hypervisor[32];
	char first_seen[40];
};

static void copy_str(json_t *j, const char *key, char *out, size_t len)
{
	json_t *v = json_object_get(j, key);
	out[0] = '\0';
	if (json_is_string(v))
		snprintf(out, len, "%s", json_string_value(v));
}

static void read_extra(const char *dir, struct extra *x)
{
	memset(x, 0, sizeof(*x));
	char *path = hcf_xasprintf("%s/finding.json", dir);
	json_t *j = json_load_file(path, 0, NULL);
	free(path);
	if (!j)
		return; /* hcf_finding_load_meta read it a moment ago; nothing more to learn */
	copy_str(j, "target", x->target, sizeof(x->target));
	copy_str(j, "hypervisor", x->hypervisor, sizeof(x->hypervisor));
	copy_str(j, "first_seen", x->first_seen, sizeof(x->first_seen));
	json_decref(j);
}


int hcf_cmd_repro(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "spec", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "full", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *spec_opt = NULL, *out_opt = NULL;
	bool full = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': spec_opt = optarg; break;
		case 'o': out_opt = optarg; break;
		case 'f': full = true; break;
		case 'h': usage(stdout); return HCF_EXIT_PASS;
		default: usage(stderr); return HCF_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		hcf_cli_error("repro", "expected one finding directory");
		usage(stderr);
		return HCF_EXIT_USAGE;
	}
	const char *dir = argv[optind];
	struct stat st;
	if (stat(dir, &st) != 0) {
		hcf_cli_error("repro", "%s: %s", dir, strerror(errno));
		return HCF_EXIT_USAGE;
	}
	if (!S_ISDIR(st.st_mode)) {
		hcf_cli_error("repro", "%s: not a finding directory (one holding finding.json and "
				       "program.hcf)", dir);
		return HCF_EXIT_USAGE;
	}

	struct hcf_diags diags;
	hcf_diags_init(&diags);
	struct hcf_finding meta;
	if (hcf_finding_load_meta(dir, &meta, &diags) != 0) {
		hcf_diags_print(&diags, stderr);
		hcf_cli_error("repro", "%s: not a readable finding", dir);
		return HCF_EXIT_USAGE;
	}
	const char *spec = spec_opt ? spec_opt : meta.spec;
	if (!spec[0]) {
		hcf_cli_error("repro", "%s/finding.json names no spec: give it with --spec FILE", dir);
		return HCF_EXIT_USAGE;
	}
	struct hcf_abi *abi = NULL;
	if (hcf_cli_load_spec(spec, &abi) != HCF_EXIT_PASS) {
		if (!spec_opt)
			hcf_cli_error("repro", "the spec %s/finding.json names (%s, relative to the current "
					       "directory) cannot be loaded: give it with --spec FILE", dir, spec);
		return HCF_EXIT_USAGE;
	}

	int rc = HCF_EXIT_USAGE;
	struct hcf_finding *f = hcf_xcalloc(1, sizeof(*f));
	hcf_diags_init(&diags);
	if (hcf_finding_load(dir, abi, !full, f, &diags) != 0) {
		hcf_diags_print(&diags, stderr);
		hcf_cli_error("repro", "%s: cannot load the finding against %s", dir, spec);
		free(f);
		hcf_spec_free(abi);
		return HCF_EXIT_USAGE;
	}
	struct extra x;
	read_extra(dir, &x);
	if (x.target[0] && strcmp(x.target, "kvm") != 0) {
		/* the program a reproducer builds runs on /dev/kvm: another hypervisor */
		hcf_cli_error("repro", "%s was found on target %s (%s); a C reproducer runs on /dev/kvm. "
				       "Replay it where it was found: hcfuzz run --spec %s --target %s %s/%s",
			      dir, x.target, x.hypervisor[0] ? x.hypervisor : "?", spec, x.target, dir,
			      !full && f->minimized ? HCF_FINDING_MINIMIZED : HCF_FINDING_PROGRAM);
		free(f);
		hcf_spec_free(abi);
		return HCF_EXIT_USAGE;
	}
	struct hcf_repro_src src = {
		.abi = abi,
		.f = f,
		.spec_path = spec,
		.program_name = !full && f->minimized ? HCF_FINDING_MINIMIZED : HCF_FINDING_PROGRAM,
		.hypervisor = x.hypervisor[0] ? x.hypervisor : NULL,
		.first_seen = x.first_seen[0] ? x.first_seen : NULL,
	};

	char *out_path = out_opt ? hcf_xstrdup(out_opt) : hcf_xasprintf("%s/repro.c", dir);
	bool to_stdout = !strcmp(out_path, "-");
	const char *slash = strrchr(out_path, '/');
	src.file_name = to_stdout ? "repro.c" : slash ? slash + 1 : out_path;
	struct hcf_atomic_file af;
	FILE *out = stdout;
	if (!to_stdout) {
		if (hcf_atomic_open(&af, out_path) != 0) {
			hcf_cli_error("repro", "%s: %s", out_path, strerror(errno));
			rc = HCF_EXIT_ERROR;
			goto done;
		}
		out = af.f;
	}
	char err[512];
	struct hcf_repro_info info;
	if (hcf_repro_emit(out, &src, &info, err, sizeof(err)) != 0) {
		if (!to_stdout)
			hcf_atomic_abort(&af);
		hcf_cli_error("repro", "%s: %s", dir, err);
		rc = HCF_EXIT_USAGE;
		goto done;
	}
	if (!to_stdout && hcf_atomic_commit(&af) != 0) {
		hcf_cli_error("repro", "%s: %s", out_path, strerror(errno));
		rc = HCF_EXIT_ERROR;
		goto done;
	}
	fprintf(stderr, "hcfuzz repro: %s: checks %s, replaying %zu call%s of %s\n",
		to_stdout ? "standard output" : out_path, info.check, info.ncalls, info.ncalls == 1 ? "" : "s",
		src.program_name);
	if (!to_stdout)
		fprintf(stderr, "hcfuzz repro: build and run it with: cc -O2 -o repro %s && ./repro\n", out_path);
	rc = HCF_EXIT_PASS;
done:
	free(out_path);
	hcf_finding_free(f);
	free(f);
	hcf_spec_free(abi);
	return rc;
}
