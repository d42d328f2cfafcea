#!/usr/bin/env bash
# it_cli.sh: the command line's conventions: --help everywhere, usage errors,
# malformed input named by file:line:column with nothing written, run output.
. "$(dirname "$0")/lib.sh"
set -e

for cmd in spec conform run; do
	run "$HCFUZZ" "$cmd" --help > "$TMP/help.txt"
	[ "$rc" = 0 ] || fail "hcfuzz $cmd --help exit $rc"
	grep -q "usage: hcfuzz $cmd" "$TMP/help.txt" || fail "hcfuzz $cmd --help prints no usage"
done
run "$HCFUZZ" --help > /dev/null
[ "$rc" = 0 ] || fail "hcfuzz --help exit $rc"
run "$HCFUZZ" no-such-command 2> /dev/null
[ "$rc" = 2 ] || fail "unknown command exit $rc"
run "$HCFUZZ" conform --bogus-option 2> /dev/null
[ "$rc" = 2 ] || fail "unknown option exit $rc"

# a malformed spec: error with position, exit 2, nothing in the output dir
printf 'hcfuzz_spec: 1\nabi: bad\ntransport: warp\ncall_number: {reg: rax}\ncalls:\n  - {name: a, nr: 1}\n' > "$TMP/bad.yaml"
run "$HCFUZZ" conform --spec "$TMP/bad.yaml" --target model --out "$TMP/badout" 2> "$TMP/err.txt"
[ "$rc" = 2 ] || fail "malformed spec: exit $rc"
grep -Eq "bad.yaml:3:[0-9]+: error: .*transport" "$TMP/err.txt" || { cat "$TMP/err.txt"; fail "no file:line:col for the bad transport"; }
[ ! -e "$TMP/badout" ] || [ -z "$(ls -A "$TMP/badout")" ] || fail "files written for a malformed spec"

# a malformed program: error with position, exit 2
printf 'call KVM_HC_KICK_CPU apic_id=5\ncall NO_SUCH_CALL\n' > "$TMP/bad.txt"
run "$HCFUZZ" run --spec "$SRC/specs/kvm.yaml" --target model "$TMP/bad.txt" 2> "$TMP/err.txt"
[ "$rc" = 2 ] || fail "malformed program: exit $rc"
grep -Eq "bad.txt:2:[0-9]+: error:" "$TMP/err.txt" || { cat "$TMP/err.txt"; fail "no file:line:col for the bad program"; }

# run on the model target shows the changed registers and the verdict
printf 'call KVM_HC_VAPIC_POLL_IRQ\ncall nr=0x777 rbx=1\n' > "$TMP/ok.txt"
run "$HCFUZZ" run --spec "$SRC/specs/kvm.yaml" --target model "$TMP/ok.txt" > "$TMP/out.txt"
[ "$rc" = 0 ] || { cat "$TMP/out.txt"; fail "run on the model target: exit $rc"; }
grep -q "call 1  nr=0x777" "$TMP/out.txt" || fail "run output lacks the undeclared call"
grep -q "rax .*KVM_ENOSYS" "$TMP/out.txt" || { cat "$TMP/out.txt"; fail "run output lacks rax -> -KVM_ENOSYS"; }
ok "cli conventions"
