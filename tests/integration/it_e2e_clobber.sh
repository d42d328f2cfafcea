#!/usr/bin/env bash
# it_e2e_clobber.sh: a responder inside the VMM that changes rbx behind a
# port-I/O call the spec says preserves it must be reported as a clobber FAIL
# naming rbx; the same run with the honest responder must PASS.
. "$(dirname "$0")/lib.sh"
set -e
need_kvm
need_jq
spec=$SRC/tests/fixtures/responder.yaml

run "$HCFUZZ" conform --spec "$spec" --out "$TMP/honest" -q
[ "$rc" = 0 ] || fail "honest responder: exit $rc, expected 0"

run "$HCFUZZ" conform --spec "$spec" --responder clobber:rbx --out "$TMP/clobber" -q
[ "$rc" = 5 ] || fail "clobbering responder: exit $rc, expected 5 (FAIL)"
declared=$(jq -r 'select(.group != "undeclared") | .test' "$TMP/clobber/results.jsonl" | wc -l)
flagged=$(jq -r 'select(.group != "undeclared") | select(any(.calls[].issues[]; .oracle == "clobber" and .where == "rbx")) | .test' \
	"$TMP/clobber/results.jsonl" | wc -l)
[ "$declared" -gt 0 ] && [ "$flagged" = "$declared" ] ||
	fail "$flagged of $declared declared-call tests report the rbx clobber"

grep -q 'clobber' "$TMP/clobber/junit.xml" || fail "junit.xml does not mention the clobber"
ok "clobber of rbx reported in $flagged tests"
