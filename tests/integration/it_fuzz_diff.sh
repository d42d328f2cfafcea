#!/usr/bin/env bash
# it_fuzz_diff.sh: fuzz --diff-target on /dev/kvm. The same kvm target twice,
# the second with a responder that changes rbx in the pong call only: the
# campaign must find exactly that difference (oracle diff, pong, rbx, both
# values), once however often it recurs, minimized on both targets to the one
# call. Without the responder the two targets agree: no finding.
. "$(dirname "$0")/lib.sh"
set -e
need_kvm
need_jq
bindir=$(dirname "$HCFUZZ")
[ -x "$bindir/hcfuzz-fuzz-libfuzzer" ] || skip "hcfuzz-fuzz-libfuzzer not built (needs clang)"

spec=$TMP/responder-out.yaml
sed 's/^  - name: pong$/  - name: pong\n    output: {result: rbx}/' "$SRC/tests/fixtures/responder.yaml" >"$spec"

run timeout 300 "$HCFUZZ" fuzz --spec "$spec" --diff-target kvm,responder=clobber:rbx@0x501 \
	--time 10 --out "$TMP/d" -q
[ "$rc" = 5 ] || fail "differential campaign: exit $rc, expected 5 (a FAIL finding)"
only_findings "$TMP/d" 'diff|pong|rbx|returned'
f=$(ls -d "$TMP"/d/findings/*/ | head -n1)
[ "$(jq -r .oracle "$f/finding.json")" = diff ] || fail "finding not of oracle diff"
jq -r .reason "$f/finding.json" | grep -q 'clobber:rbx@0x501: here kept .*, there 0x' ||
	fail "the finding does not give both sides' values: $(jq -r .reason "$f/finding.json")"
[ "$(grep -c '^call ' "$f/minimized.hcf")" = 1 ] && grep -q '^call pong' "$f/minimized.hcf" ||
	fail "not minimized to the pong call: $(cat "$f/minimized.hcf" 2>/dev/null)"
ok "the one difference found, deduplicated, minimized on both targets to 1 call"

run timeout 300 "$HCFUZZ" fuzz --spec "$spec" --diff-target kvm --time 5 --out "$TMP/same" -q
[ "$rc" = 0 ] || fail "two identical targets: exit $rc, findings: $(ls "$TMP/same/findings")"
ok "two targets that agree: no finding"
