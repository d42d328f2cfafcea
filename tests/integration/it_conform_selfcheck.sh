#!/usr/bin/env bash
# it_conform_selfcheck.sh: conform on the model target is the spec's
# self-check. The model keeps the contract, so every known anomaly of
# specs/pvm.yaml must come out XPASS (exit 8: "no longer reproduces") and
# every other test PASS, or LOST where a call hands the guest over: a spec
# whose model disagrees with its own contract fails here. Needs no VM.
. "$(dirname "$0")/lib.sh"
set -e
need_jq

run "$HCFUZZ" conform --spec "$SRC/specs/pvm.yaml" --target model --out "$TMP/out" -q
[ "$rc" = 8 ] || fail "model self-check exit $rc (expected 8: every anomaly XPASS)"
R=$TMP/out/results.jsonl
ids=$(sed -n 's/^  - id: //p' "$SRC/specs/pvm.yaml" | sort | tr '\n' ' ')
xpass=$(jq -r 'select(.verdict == "XPASS") | .test | sub("^anomaly/"; "")' "$R" | sort | tr '\n' ' ')
[ -n "$ids" ] && [ "$xpass" = "$ids" ] || fail "XPASS tests differ from the spec's anomalies:
  XPASS:     $xpass
  anomalies: $ids"
others=$(jq -r 'select(.group != "anomalies") | .verdict' "$R" | sort | uniq -c | awk '{print $2":"$1}' |
	tr '\n' ' ')
case "$others" in
"LOST:"*" PASS:"*" ") ;;
*) fail "the model disagrees with its spec: $others" ;;
esac
# the hand-overs are the LOST ones, and say so
[ -z "$(jq -r 'select(.verdict == "LOST") | .group' "$R" | grep -v '^event_return_[abd]$')" ] ||
	fail "a LOST test outside the calls that hand the guest over"
jq -r 'select(.verdict == "LOST") | .calls[].issues[].reason' "$R" | grep -q "hands the guest over" ||
	fail "a LOST test does not say the call hands the guest over"
ok "model self-check: $others, every anomaly XPASS"
