#!/usr/bin/env bash
# it_diff.sh: hcfuzz diff runs the same programs on two real targets. A
# target against itself: no difference. A responder that answers one call
# differently: exactly that difference, minimized from a three-call program
# to the one call, with a reproducer that still shows it. The hypervisor
# behind /dev/kvm against its spec's reference model: real differences, each
# with both sides' values.
. "$(dirname "$0")/lib.sh"
set -e
need_kvm
need_jq

spec=$TMP/responder-out.yaml
sed 's/^  - name: pong$/  - name: pong\n    output: {result: rbx}/' "$SRC/tests/fixtures/responder.yaml" >"$spec"
mkdir -p "$TMP/progs"
printf 'call ping data=0x1\ncall pong data=0x2\ncall ping data=0x3\n' >"$TMP/progs/three.hcf"

# 1. The same target twice: a determinism check, nothing differs.
run "$HCFUZZ" diff --spec "$spec" --target kvm --target kvm --out "$TMP/same" -q
[ "$rc" = 0 ] && [ ! -s "$TMP/same/differences.jsonl" ] ||
	fail "kvm against itself: exit $rc, $(head -n2 "$TMP/same/differences.jsonl")"
ok "a target against itself: no difference"

# 2. One call answers differently: the plan, then a program minimized.
run "$HCFUZZ" diff --spec "$spec" --target kvm --target kvm,responder=clobber:rbx@0x501 \
	--out "$TMP/plan" -q
[ "$rc" = 9 ] || fail "responder answering differently: exit $rc, expected 9"
keys=$(jq -r .key "$TMP/plan/differences.jsonl" | sort -u | tr '\n' ' ')
[ "$keys" = "pong/reg/rbx " ] || fail "differences other than pong's rbx: $keys"
run "$HCFUZZ" diff --spec "$spec" --target kvm --target kvm,responder=clobber:rbx@0x501 \
	--out "$TMP/prog" -q "$TMP/progs"
[ "$rc" = 9 ] || fail "three-call program: exit $rc, expected 9"
[ "$(jq -r '"\(.call) \(.key)"' "$TMP/prog/differences.jsonl")" = "1 pong/reg/rbx" ] ||
	fail "three-call program: $(cat "$TMP/prog/differences.jsonl")"
repro=$TMP/prog/repro/01
[ "$(grep -c '^call ' "$repro/program.hcf")" = 1 ] && grep -q '^call pong' "$repro/program.hcf" ||
	fail "not minimized to the pong call: $(cat "$repro/program.hcf")"
HCFUZZ=$HCFUZZ run "$repro/reproduce.sh"
[ "$rc" = 9 ] || fail "the reproducer does not show the difference (exit $rc)"
ok "one call's register: the only difference, minimized to 1 call, reproducer exits 9"

# 3. A real pair: the hypervisor behind /dev/kvm against its spec's model.
hv=$(detected_hypervisor)
[ -n "$hv" ] && [ -f "$SRC/specs/$hv.yaml" ] || skip "no spec for the hypervisor '$hv' here"
run "$HCFUZZ" diff --spec "$SRC/specs/$hv.yaml" --target kvm --target model --out "$TMP/model" \
	--no-minimize -q
[ "$rc" = 9 ] || [ "$rc" = 0 ] || fail "$hv against its model: exit $rc"
n=$(wc -l <"$TMP/model/differences.jsonl")
jq -e 'select(.kvm == null or .model == null)' "$TMP/model/differences.jsonl" >/dev/null &&
	fail "a difference without both sides' values"
grep -q "^## Differences" "$TMP/model/summary.md" || fail "no summary.md"
ok "$hv against its reference model: $n differences, each with both values"
