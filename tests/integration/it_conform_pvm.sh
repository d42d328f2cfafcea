#!/usr/bin/env bash
# it_conform_pvm.sh: "hcfuzz conform" with no --spec detects PVM here, runs
# specs/pvm.yaml and writes consistent JUnit, JSON Lines and Markdown reports.
. "$(dirname "$0")/lib.sh"
set -e
need_kvm
need_jq
hv=$(detected_hypervisor)
[ "$hv" = pvm ] || skip "this host's /dev/kvm is '$hv', not the PVM build specs/pvm.yaml describes"

run "$HCFUZZ" conform --out "$TMP/out" -q
[ "$rc" = 0 ] || fail "conform exit $rc (expected 0: specs/pvm.yaml matches this host)"
for f in junit.xml results.jsonl summary.md; do
	[ -s "$TMP/out/$f" ] || fail "missing report $f"
done
ls -A "$TMP/out" | grep -q '\.tmp\.' && fail "temporary files left behind"
n=$(wc -l < "$TMP/out/results.jsonl")
[ "$n" -gt 100 ] || fail "only $n tests in results.jsonl"
[ "$(jq -c . "$TMP/out/results.jsonl" | wc -l)" = "$n" ] || fail "results.jsonl has a line that is not JSON"
tests=$(sed -n 's/.*<testsuite [^>]*tests="\([0-9]*\)".*/\1/p' "$TMP/out/junit.xml" | head -n1)
[ "$tests" = "$n" ] || fail "junit.xml counts $tests tests, results.jsonl $n"
if command -v xmllint >/dev/null; then
	xmllint --noout "$TMP/out/junit.xml" || fail "junit.xml is not well formed"
else
	echo "SKIP (sub-check): xmllint not installed, junit.xml well-formedness not checked"
fi
# every declared op of the spec was tested
for op in set_cr0 wrmsr load_gdtr hlt set_vif_page flush_tlb; do
	jq -r --arg op "$op" 'select(.group == $op) | .test' "$TMP/out/results.jsonl" | grep -q . ||
		fail "no test for $op"
done
# an undeclared number returns -ENOSYS on this host
[ "$(jq -r 'select(.group == "undeclared") | .calls[0].after.rax' "$TMP/out/results.jsonl" | sort -u)" = 0xffffffffffffffda ] ||
	fail "undeclared numbers did not all return -38"
grep -q "PASS" "$TMP/out/summary.md" || fail "summary.md has no tally"
ok "pvm conformance: $n tests, reports consistent"
