#!/usr/bin/env bash
# it_baseline.sh: build against build on the real /dev/kvm. A baseline saved
# from a conformance run, then the same run against it: no difference. A
# responder made to answer differently in one register of one call: exactly
# that difference, in every test of that call, nothing else. The same change
# in an output the spec declares nondeterministic: no difference. A baseline
# of another spec, of another plan, or a damaged file: refused, saying why.
# replay takes a baseline too.
. "$(dirname "$0")/lib.sh"
set -e
need_kvm
need_jq

# 1. The hypervisor behind /dev/kvm, with the spec hcfuzz picks for it.
run "$HCFUZZ" conform --out "$TMP/a" --save-baseline "$TMP/hv.jsonl" -q
[ "$rc" -le 3 ] || fail "saving the baseline: exit $rc"
[ "$(head -n1 "$TMP/hv.jsonl" | jq -r .hcfuzz_baseline)" = 1 ] || fail "no versioned header line"
tests=$(head -n1 "$TMP/hv.jsonl" | jq -r .plan.tests)
[ "$(($(wc -l <"$TMP/hv.jsonl") - 1))" = "$tests" ] || fail "baseline holds not one line per test"
first=$rc
run "$HCFUZZ" conform --out "$TMP/b" --baseline "$TMP/hv.jsonl" -q
[ "$rc" = "$first" ] || fail "the same build against its own baseline: exit $rc, expected $first"
[ -f "$TMP/b/differences.jsonl" ] && [ ! -s "$TMP/b/differences.jsonl" ] ||
	fail "differences of a build against itself: $(head -n3 "$TMP/b/differences.jsonl")"
grep -q 'failures="0"' "$TMP/b/differences.xml" || fail "differences.xml counts failures"
grep -q "^## Differences" "$TMP/b/summary.md" || fail "summary.md has no Differences section"
ok "$tests tests against their own baseline: no difference"

# 2. One call answers differently in one register. rbx is pong's declared
# output, so the verdicts stay PASS: only the value moved.
spec=$TMP/responder-out.yaml
sed 's/^  - name: pong$/  - name: pong\n    output: {result: rbx}/' "$SRC/tests/fixtures/responder.yaml" >"$spec"
grep -q 'result: rbx' "$spec" || fail "could not write the test spec"
run "$HCFUZZ" conform --spec "$spec" --out "$TMP/r0" --save-baseline "$TMP/resp.jsonl" -q
[ "$rc" = 0 ] || fail "honest responder: exit $rc"
run "$HCFUZZ" conform --spec "$spec" --out "$TMP/r1" --baseline "$TMP/resp.jsonl" \
	--responder clobber:rbx@0x501 -q
[ "$rc" = 9 ] || fail "responder answering differently: exit $rc, expected 9 (DIFF)"
pong=$(jq -r 'select(.group == "pong") | .test' "$TMP/r0/results.jsonl" | wc -l)
ndiff=$(wc -l <"$TMP/r1/differences.jsonl")
other=$(jq -r 'select(.key != "pong/reg/rbx") | .text' "$TMP/r1/differences.jsonl")
[ -z "$other" ] || fail "differences other than pong's rbx: $other"
[ "$pong" -gt 0 ] && [ "$ndiff" = "$pong" ] || fail "$ndiff differences for $pong pong tests"
jq -e 'select(.baseline | startswith("kept")) | .now | test("^0x")' "$TMP/r1/differences.jsonl" \
	>/dev/null || fail "a difference does not give the baseline value and the new one"
[ "$(grep -c '<failure type="difference"' "$TMP/r1/differences.xml")" = "$ndiff" ] ||
	fail "differences.xml: not one failed test case per difference"
head -n 40 "$TMP/r1/summary.md" | grep -q 'pong' || fail "summary.md does not list the differences first"
ok "one register of one call: $ndiff differences, all pong's rbx"

# 3. Declared nondeterministic: never a difference.
nspec=$TMP/responder-nondet.yaml
sed 's/^  - name: pong$/  - name: pong\n    output: {result: {reg: rbx, nondeterministic: any}}/' \
	"$SRC/tests/fixtures/responder.yaml" >"$nspec"
run "$HCFUZZ" conform --spec "$nspec" --out "$TMP/n0" --save-baseline "$TMP/nondet.jsonl" -q
[ "$rc" = 0 ] || fail "nondet spec, honest responder: exit $rc"
run "$HCFUZZ" conform --spec "$nspec" --out "$TMP/n1" --baseline "$TMP/nondet.jsonl" \
	--responder clobber:rbx@0x501 -q
[ "$rc" = 0 ] && [ ! -s "$TMP/n1/differences.jsonl" ] ||
	fail "a declared nondeterministic output was reported: exit $rc, $(head -n2 "$TMP/n1/differences.jsonl")"
ok "declared nondeterministic output not reported"

# 4. Refusals: another spec, another plan, a damaged file.
run "$HCFUZZ" conform --spec "$spec" --out "$TMP/x" --baseline "$TMP/nondet.jsonl" -q 2>"$TMP/x.err"
[ "$rc" = 2 ] && grep -q "another spec" "$TMP/x.err" ||
	fail "baseline of another spec: exit $rc, $(cat "$TMP/x.err")"
run "$HCFUZZ" conform --spec "$spec" --seed 7 --out "$TMP/x" --baseline "$TMP/resp.jsonl" -q 2>"$TMP/x.err"
[ "$rc" = 2 ] && grep -q "another plan" "$TMP/x.err" ||
	fail "baseline of another plan: exit $rc, $(cat "$TMP/x.err")"
head -n 3 "$TMP/resp.jsonl" >"$TMP/cut.jsonl"
run "$HCFUZZ" conform --spec "$spec" --out "$TMP/x" --baseline "$TMP/cut.jsonl" -q 2>"$TMP/x.err"
[ "$rc" = 2 ] && grep -q "cut.jsonl:4: .*truncated" "$TMP/x.err" ||
	fail "truncated baseline: exit $rc, $(cat "$TMP/x.err")"
{ head -n 2 "$TMP/resp.jsonl"; echo '{"test": 5}'; } >"$TMP/bad.jsonl"
run "$HCFUZZ" conform --spec "$spec" --out "$TMP/x" --baseline "$TMP/bad.jsonl" -q 2>"$TMP/x.err"
[ "$rc" = 2 ] && grep -q "bad.jsonl:3: 'test'" "$TMP/x.err" ||
	fail "malformed baseline line: exit $rc, $(cat "$TMP/x.err")"
ok "other spec, other plan, truncated and malformed baselines refused with the reason"

# 5. replay: a fixed corpus compares builds the same way.
mkdir -p "$TMP/corpus"
printf 'call pong data=0x1\ncall ping data=0x2\ncall pong data=0x3\n' >"$TMP/corpus/three.hcf"
run "$HCFUZZ" replay --spec "$spec" --out "$TMP/p0" --save-baseline "$TMP/replay.jsonl" -q "$TMP/corpus"
[ "$rc" = 0 ] || fail "replay saving a baseline: exit $rc"
run "$HCFUZZ" replay --spec "$spec" --out "$TMP/p1" --baseline "$TMP/replay.jsonl" \
	--responder clobber:rbx@0x501 -q "$TMP/corpus"
[ "$rc" = 9 ] || fail "replay against its baseline with one call changed: exit $rc, expected 9"
calls=$(jq -r '.call' "$TMP/p1/differences.jsonl" | sort | tr '\n' ' ')
[ "$calls" = "0 2 " ] || fail "replay differences in calls '$calls', expected pong's 0 and 2"
ok "replay against a baseline: pong's two calls differ"

# 6. The CI gate: a build that matches passes, one that differs fails with
# one JUnit test case per difference.
gate=$SRC/ci/conform-gate.sh
HCFUZZ=$HCFUZZ run "$gate" --save "$TMP/gate.jsonl" --out "$TMP/g0" --spec "$spec" -q
[ "$rc" = 0 ] && [ -s "$TMP/gate.jsonl" ] || fail "conform-gate --save: exit $rc"
HCFUZZ=$HCFUZZ run "$gate" --baseline "$TMP/gate.jsonl" --out "$TMP/g1" --spec "$spec" -q
[ "$rc" = 0 ] || fail "conform-gate on the same build: exit $rc, expected 0"
HCFUZZ=$HCFUZZ run "$gate" --baseline "$TMP/gate.jsonl" --out "$TMP/g2" --spec "$spec" \
	--responder clobber:rbx@0x501 -q
[ "$rc" = 9 ] || fail "conform-gate on a build that differs: exit $rc, expected 9"
[ "$(grep -c '<failure type="difference"' "$TMP/g2/differences.xml")" = "$pong" ] ||
	fail "conform-gate: differences.xml has not one failed case per difference"
xmllint --noout "$TMP/g2/differences.xml" 2>/dev/null || ! command -v xmllint >/dev/null ||
	fail "differences.xml is not well-formed XML"
ok "conform-gate: 0 on a matching build, 9 with $pong JUnit cases on one that differs"
