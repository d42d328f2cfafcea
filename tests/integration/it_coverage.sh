#!/usr/bin/env bash
# it_coverage.sh: the spec coverage matrix of a real conform run on /dev/kvm.
# The matrix of a plan that skips a call shows that call unreached and every
# other call reached; every call that ran is counted once, in one outcome;
# coverage.json, coverage.md and coverage.html are written (the page
# self-contained and well-formed), summary.md and the terminal show the
# share; a replay's reports carry the matrix of its inputs.
. "$(dirname "$0")/lib.sh"
set -e
need_kvm
need_jq

out=$TMP/out
run timeout 300 "$HCFUZZ" conform --spec "$SRC/specs/kvm.yaml" --skip KVM_HC_KICK_CPU --out "$out" \
	> "$TMP/conform.out" 2> "$TMP/conform.err"
[ "$rc" != 124 ] || fail "hcfuzz conform did not finish within 300 s"
case "$rc" in
0 | 3 | 4 | 5 | 6 | 7) ;;
*) cat "$TMP/conform.err"; fail "exit code $rc is not a verdict code" ;;
esac
for f in coverage.json coverage.md coverage.html summary.md results.jsonl; do
	[ -s "$out/$f" ] || fail "no $f"
done
cov=$out/coverage.json
jq -e '.format == "hcfuzz-coverage" and .version == 1' "$cov" >/dev/null || fail "coverage.json: format or version"

# the skipped call is the one call never made, and its row says so
[ "$(jq -r '.unreached.ops | join(",")' "$cov")" = KVM_HC_KICK_CPU ] ||
	fail "calls never made: $(jq -c .unreached.ops "$cov"), expected [KVM_HC_KICK_CPU]"
[ "$(jq -r '.rows[] | select(.op == "KVM_HC_KICK_CPU") | .calls' "$cov")" = 0 ] || fail "KVM_HC_KICK_CPU has calls"
[ "$(jq '[.rows[] | select(.op != "KVM_HC_KICK_CPU" and .calls == 0)] | length' "$cov")" = 0 ] ||
	fail "a call the plan makes is not counted"
jq -e '.unreached.classes | map(select(startswith("KVM_HC_KICK_CPU/"))) | length > 0' "$cov" >/dev/null ||
	fail "the skipped call's input classes are not listed as never tried"

# every call that ran is counted once, in one outcome
ran=$(jq -s '[.[].calls[] | select(.outcome != "not-run")] | length' "$out/results.jsonl")
counted=$(jq '[.rows[].calls] | add' "$cov")
[ "$ran" = "$counted" ] || fail "results.jsonl has $ran calls that ran, the matrix $counted"
jq -e 'all(.rows[]; (.outcomes | add) == .calls)' "$cov" >/dev/null || fail "a row's outcomes do not add up to its calls"
# on this host every call returns one value per test: the matrix counts the returns
[ "$(jq -s '[.[].calls[] | select(.outcome == "returned")] | length' "$out/results.jsonl")" = \
	"$(jq '[.rows[].outcomes | .ok + .error + .["undeclared-value"] + .unclassified] | add' "$cov")" ] ||
	fail "returned calls and the matrix's return classes differ"

# the plan's classes are reached: every class of a plain 32-bit input, and a pointer's three
jq -e '.rows[] | select(.op == "KVM_HC_SEND_IPI") | .inputs[] | select(.name == "min") |
	.classes | to_entries | map(select(.key != "hint")) | all(.value > 0)' "$cov" >/dev/null ||
	fail "KVM_HC_SEND_IPI's min: a class the plan tries is not counted"
jq -e '.rows[] | select(.op == "KVM_HC_CLOCK_PAIRING") | .inputs[] | select(.name == "paddr") |
	.classes.valid > 0 and .classes.edge > 0 and .classes.invalid > 0' "$cov" >/dev/null ||
	fail "KVM_HC_CLOCK_PAIRING's paddr: a pointer class the plan tries is not counted"

# what people read
grep -q '^## Spec coverage' "$out/summary.md" || fail "summary.md has no spec coverage section"
grep -q 'Calls never made (1): `KVM_HC_KICK_CPU`' "$out/summary.md" || fail "summary.md does not name the call never made"
grep -q 'Calls never made (1): `KVM_HC_KICK_CPU`' "$out/coverage.md" || fail "coverage.md does not name the call never made"
pct=$(jq '.reached.reached * 100 / .reached.cells | floor' "$cov")
grep -q "spec coverage: $pct% of the matrix reached" "$TMP/conform.out" ||
	{ cat "$TMP/conform.out"; fail "the terminal does not show the share ($pct%)"; }
grep -q 'class="op never"[^>]*title="KVM_HC_KICK_CPU: never called"' "$out/coverage.html" ||
	fail "the heat map does not mark the call never made"
! grep -Eq '<script|src="|href="(https?:)?//' "$out/coverage.html" || fail "coverage.html is not self-contained"
if command -v xmllint >/dev/null; then
	xmllint --noout "$out/coverage.html" || fail "coverage.html is not well formed"
fi

# a replay: the matrix of its inputs (the kvm corpus, on the model: no VM needed for this part)
run "$HCFUZZ" replay --spec "$SRC/specs/kvm.yaml" --target model --out "$TMP/replay" "$SRC/corpus/kvm" \
	> "$TMP/replay.out" 2>&1
[ "$rc" = 0 ] || { cat "$TMP/replay.out"; fail "replay of corpus/kvm: exit $rc"; }
[ -s "$TMP/replay/coverage.json" ] && [ -s "$TMP/replay/coverage.html" ] || fail "replay wrote no matrix"
inputs=$(wc -l < "$TMP/replay/results.jsonl")
[ "$(jq .programs "$TMP/replay/coverage.json")" = "$inputs" ] || fail "the replay's matrix was not fed every input"
grep -q "(matrix [0-9]*%)" "$TMP/replay.out" || fail "replay's summary line has no share"
ok "the matrix of a plan without KVM_HC_KICK_CPU: $counted calls counted, $pct% reached, the call unreached"
