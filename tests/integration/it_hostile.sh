#!/usr/bin/env bash
# it_hostile.sh: a hypervisor that scribbles over the mailbox gets ERROR
# verdicts (never a crash of hcfuzz); one that writes guest memory outside
# the contract (a buffer guard, a read-only buffer, the agent's code page)
# gets a memory FAIL.
. "$(dirname "$0")/lib.sh"
set -e
need_kvm
need_jq
spec=$SRC/tests/fixtures/responder.yaml

run "$HCFUZZ" conform --spec "$spec" --responder scribble --out "$TMP/scribble" -q
[ "$rc" = 4 ] || fail "scribbled mailbox: exit $rc, expected 4 (ERROR)"
errors=$(jq -r 'select(.verdict == "ERROR") | .test' "$TMP/scribble/results.jsonl" | wc -l)
[ "$errors" -gt 0 ] || fail "no ERROR verdict for the scribbled mailbox"

printf 'buf b0 size=16 dir=in\ncall ping data=1 r8=&b0\n' > "$TMP/prog.txt"
# guard before b0 (the arena starts at 0x600000, b0 after 64 guard bytes),
# a byte inside b0, and the agent's code page
for target in 0x600000:guard 0x600045:buf0+5 0x101000:page; do
	addr=${target%%:*} what=${target#*:}
	run "$HCFUZZ" run --spec "$spec" --responder "poke:$addr" "$TMP/prog.txt" > "$TMP/out.txt"
	[ "$rc" = 5 ] || fail "poke at $addr: exit $rc, expected 5"
	grep -q "FAIL memory .*$what" "$TMP/out.txt" || { cat "$TMP/out.txt"; fail "poke at $addr not reported as $what"; }
done
run "$HCFUZZ" run --spec "$spec" "$TMP/prog.txt" > "$TMP/out.txt"
[ "$rc" = 0 ] || fail "the same program without the poke: exit $rc"
ok "scribbled mailbox -> $errors ERROR; pokes -> memory FAIL"
