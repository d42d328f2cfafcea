#!/usr/bin/env bash
# it_replay.sh: regression replay: the repository's corpora pass; a corpus
# with a failing input fails with JUnit failures; a malformed program is
# an error with file:line:column and does not stop the others.
. "$(dirname "$0")/lib.sh"
set -e
need_jq

# the seed and regression corpora decode, run and pass on the model
run "$HCFUZZ" replay --spec "$SRC/specs/kvm.yaml" --target model --out "$TMP/kvm" -q "$SRC/corpus/kvm"
[ "$rc" = 0 ] || fail "corpus/kvm on the model: exit $rc"
[ -s "$TMP/kvm/junit.xml" ] || fail "no junit.xml"

mkdir -p "$TMP/c1"
printf 'call reserved_1006\n' > "$TMP/c1/fails.hcf"          # misstated: must fail
printf 'call flush_tlb\ncall bogus_call\n' > "$TMP/c1/broken.hcf"
printf '\x00\x01\x02' > "$TMP/c1/bytes"                       # any bytes decode
run "$HCFUZZ" replay --spec "$SRC/tests/fixtures/pvm-misstated.yaml" --target model --out "$TMP/out1" \
	"$TMP/c1" > "$TMP/replay.out" 2> "$TMP/replay.err"
[ "$rc" = 5 ] || { cat "$TMP/replay.out" "$TMP/replay.err"; fail "exit $rc, expected 5"; }
grep -Eq "broken.hcf:2:[0-9]+: error:" "$TMP/replay.err" || fail "no position for the malformed program"
grep -q "1 malformed" "$TMP/replay.out" || fail "the malformed file is not counted"
grep -q '<failure' "$TMP/out1/junit.xml" || fail "junit.xml has no failure"
n=$(wc -l < "$TMP/out1/results.jsonl")
[ "$n" = 2 ] || fail "$n inputs judged, expected 2 (the broken one skipped)"

if [ -c /dev/kvm ] && [ "$(detected_hypervisor)" = pvm ]; then
	run "$HCFUZZ" replay --spec "$SRC/specs/pvm.yaml" -q "$SRC/corpus/pvm"
	[ "$rc" = 0 ] || fail "corpus/pvm on PVM: exit $rc"
else
	echo "SKIP (sub-check): corpus/pvm on the real hypervisor needs the PVM build"
fi
ok "replay"
