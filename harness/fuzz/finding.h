/*
 * finding.h: findings, their signatures and their place on disk.
 *
 * Every ERROR, FAIL, HANG or CRASH that a campaign (or a replay) meets is a
 * finding; LOST and XFAIL are outcomes the spec declares, and an issue that
 * is only the consequence of another (the memory a lost guest left) is
 * evidence inside that other's finding, not one of its own. Findings are deduplicated by signature: the oracle, the call (op
 * name, or "undeclared"), the register or field, and the result class (how
 * the call ended). A finding lives in its own directory, written under a
 * temporary name and renamed into place, so it is either complete or absent:
 *
 *   DIR/findings/<id>/          id: 16 hex digits, FNV-1a of the signature
 *     finding.json              signature, verdict, issues, results, provenance
 *     input.bin                 the fuzzer input exactly as the engine gave it
 *     program.hcf               the program, text format (docs/program-format.md)
 *     minimized.hcf, minimized.bin   after "hcfuzz minimize"
 *     repro.c                   after "hcfuzz repro"
 *
 * finding.json (docs/findings.md is the reference):
 *   { "version": 1, "id": "...", "signature": "clobber|invlpg|rax|returned",
 *     "oracle": "clobber", "op": "invlpg", "where": "rax", "class": "returned",
 *     "verdict": "FAIL", "call": 0, "reason": "...",
 *     "expected": "0x...", "got": "0x...",
 *     "exact_where": "rax" (the place as people read it; "where" is normalised),
 *     "loc": { the place as typed data: docs/findings.md },
 *     "related_call": 3 (a loss: the other call; absent when none),
 *     "result": { one results.jsonl line: calls with before/after registers,
 *                 outcomes, exceptions and every issue (docs/reports.md) },
 *     "spec": "specs/pvm.yaml", "abi": "pvm", "target": "kvm", "hypervisor": "pvm",
 *     "engine": "libfuzzer", "first_seen": "2026-11-21T20:01:02Z", "first_seen_unix": 1795...,
 *     "minimized": false }
 */
#ifndef HCF_FINDING_H
#define HCF_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "oracles/verdict.h"
#include "prog/prog.h"
#include "spec/spec.h"
#include "target/result.h"
#include "target/target.h"

struct hcf_finding_sig {
	char oracle[16];
	char op[64];          /* op name, or "undeclared" */
	char where[48];       /* register or field */
	char rclass[32];      /* "returned", "exception:#GP", "hang", "lost:shutdown" ... */
	char text[200];       /* oracle|op|where|rclass */
	char id[17];          /* 16 hex digits of FNV-1a 64 of text */
	enum hcf_verdict verdict;
	size_t call;          /* index of the call the issue is on */
	const struct hcf_issue *issue; /* the issue it was made from (valid with cvs) */
};

/*
 * The signatures of a judged program: one per distinct (oracle, op, where,
 * class) among its issues of verdict SKIP-or-worse that are not PASS...
 * precisely: every issue whose verdict is ERROR or worse (SKIP is "not
 * applicable", not a finding). Returns how many were written (at most max).
 */
size_t hcf_finding_sigs(const struct hcf_abi *abi, const struct hcf_prog *p,
			const struct hcf_prog_result *r, const struct hcf_call_verdict *cvs,
			struct hcf_finding_sig *sigs, size_t max);

/* Provenance written with a finding. */
struct hcf_finding_meta {
	const char *spec_path;
	const struct hcf_target_info *tinfo;
	const char *engine;   /* "libfuzzer", "afl", "replay", "run" */
};

/*
 * Store a finding under dir/findings/<id> unless one with that id exists.
 * Returns 1 when written, 0 when it was already there, -1 on error (message
 * in err: a full disk or unwritable dir must stop a campaign, not lose data).
 */
int hcf_finding_store(const char *dir, const struct hcf_finding_sig *sig, const uint8_t *input,
		      size_t input_len, const struct hcf_prog *p, const struct hcf_prog_result *r,
		      const struct hcf_call_verdict *cvs, const struct hcf_finding_meta *meta,
		      char *err, size_t errlen);

/* Does dir/findings/<id> exist? */
bool hcf_finding_exists(const char *dir, const char *id);

/* A finding read back from its directory. */
struct hcf_finding {
	char path[4096];       /* the finding's directory */
	struct hcf_finding_sig sig;
	char reason[320];
	uint64_t expected, got;
	bool has_values;
	struct hcf_loc loc;        /* the issue's place (has_loc) */
	bool has_loc;
	size_t related;            /* the issue's other call, or SIZE_MAX */
	char spec[1024];
	char abi[64];
	char transport[32];        /* the spec's transport the calls used ("": its first) */
	char engine[16];
	time_t first_seen;
	bool minimized;
	struct hcf_prog prog;      /* program.hcf (or minimized.hcf when asked) */
	uint8_t *input;            /* input.bin */
	size_t input_len;
};

/*
 * Load a finding directory. abi must be the spec the finding was found
 * with (the program is parsed against it). prefer_minimized: read
 * minimized.hcf when present. Returns 0, or -1 with diagnostics (a corrupt
 * or truncated finding is an error naming the file, never a crash).
 */
int hcf_finding_load(const char *path, const struct hcf_abi *abi, bool prefer_minimized,
		     struct hcf_finding *f, struct hcf_diags *diags);
void hcf_finding_free(struct hcf_finding *f);

/* Just the metadata (no spec needed): signature, verdict, spec path, times. */
int hcf_finding_load_meta(const char *path, struct hcf_finding *f, struct hcf_diags *diags);
/* The same from finding.json's text in memory (name labels diagnostics);
 * f->path and f->minimized, which come from the directory, stay empty. */
int hcf_finding_parse_meta(const char *name, const char *text, size_t len, struct hcf_finding *f,
			   struct hcf_diags *diags);

#endif /* HCF_FINDING_H */
