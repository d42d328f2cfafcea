#!/usr/bin/env bash
# it_learn.sh: hcfuzz learn drafts a spec from behaviour. On targets whose
# truth is known (the reference model of specs/kvm.yaml; the kvm target's
# test responder with a pointer argument and a clobbered register) the draft
# must recover it; on the PVM here it must find 0x1000-0x100e (from the
# range, and from three numbers and their neighbourhood), the -38 default,
# the result in rax and the inputs rbx, rcx and rdx, load as a spec and run
# as one; a budget or an interrupt still leaves a whole draft.
. "$(dirname "$0")/lib.sh"
set -e
need_jq

# the call names of a draft, one "nr name" per line
numbers() { sed -n 's/^    nr: \(0x[0-9a-f]*\)$/\1/p' "$1" | tr '\n' ' '; }

# 1. The model of kvm.yaml: its numbers that answer otherwise (1, 5, 9, 10,
# 11; the retired and non-x86 ones answer -KVM_ENOSYS like unknown numbers),
# the default -1000 in rax, and those differences listed against the spec.
run "$HCFUZZ" learn --target model --spec "$SRC/specs/kvm.yaml" --numbers 0x0-0x40 \
	--base "$SRC/specs/kvm.yaml" -o "$TMP/kvm.yaml" > "$TMP/kvm.out"
[ "$rc" = 0 ] || { cat "$TMP/kvm.out"; fail "learn on the model: exit $rc"; }
got=$(numbers "$TMP/kvm.yaml")
[ "$got" = "0x1 0x5 0x9 0xa 0xb " ] || fail "model: numbers found '$got'"
grep -q '^  returns: \[-1000\]$' "$TMP/kvm.yaml" || fail "model: no default -1000"
grep -q '^return: {reg: rax}' "$TMP/kvm.yaml" || fail "model: result register not rax"
grep -q '^error_convention: negative_errno' "$TMP/kvm.yaml" || fail "model: error convention"
grep -q 'KVM_HC_MMU_OP (0x2): declared, but it answers like an unknown number' "$TMP/kvm.out" ||
	fail "model: the comparison with the spec misses 0x2"
run "$HCFUZZ" spec check "$TMP/kvm.yaml" > /dev/null
[ "$rc" = 0 ] || fail "model: the draft does not pass spec check"

# Bad input: a range that ends before it starts, no transport.
run "$HCFUZZ" learn --target model --spec "$SRC/specs/kvm.yaml" --numbers 5-1 -o "$TMP/x.yaml" 2> "$TMP/err"
[ "$rc" = 2 ] && grep -q "ends before it starts" "$TMP/err" || fail "bad range: exit $rc"
run "$HCFUZZ" learn --target model -o "$TMP/x.yaml" 2> /dev/null
[ "$rc" = 2 ] || fail "no transport nor spec: exit $rc"
[ ! -e "$TMP/x.yaml" ] || fail "a refused run left a draft"

need_kvm

# 2. The store responder: port 0x501 writes 8 bytes at the address in rbx
# and leaves garbage in rdx; every other port does nothing.
run "$HCFUZZ" learn --target kvm --transport "{kind: pio, port: 0x500, width: 4}" --nr-reg none \
	--responder store:0x501 --numbers 0-15 -o "$TMP/resp.yaml" -q > /dev/null
[ "$rc" = 0 ] || fail "learn on the store responder: exit $rc"
[ "$(numbers "$TMP/resp.yaml")" = "0x1 " ] || fail "responder: numbers '$(numbers "$TMP/resp.yaml")'"
grep -q '^return: none' "$TMP/resp.yaml" || fail "responder: the default changes a register"
grep -q 'a_rbx: {reg: rbx, pointer: learned_1_rbx}' "$TMP/resp.yaml" || fail "responder: no pointer in rbx"
grep -q 'written: {offset: 0, size: 8, dir: out}' "$TMP/resp.yaml" || fail "responder: not 8 bytes written"
grep -q '^    clobbers: \[rdx\]' "$TMP/resp.yaml" || fail "responder: rdx not a clobber"
run "$HCFUZZ" spec check "$TMP/resp.yaml" > /dev/null
[ "$rc" = 0 ] || fail "responder: the draft does not pass spec check"

[ "$(detected_hypervisor)" = pvm ] || { ok "learn (model, responder; PVM part needs the PVM build)"; exit 0; }

# 3. The PVM: its numbers, default, result register and inputs.
run "$HCFUZZ" learn --target kvm --transport "int 0x1b" --numbers 0x0-0x2000 \
	--base "$SRC/specs/pvm.yaml" -o "$TMP/pvm.yaml" -q > "$TMP/pvm.out"
[ "$rc" = 0 ] || { cat "$TMP/pvm.out"; fail "learn on PVM: exit $rc"; }
want="0x1000 0x1001 0x1002 0x1003 0x1004 0x1005 0x1007 0x1008 0x1009 0x100a 0x100b 0x100c 0x100d 0x100e "
[ "$(numbers "$TMP/pvm.yaml")" = "$want" ] || fail "PVM: numbers '$(numbers "$TMP/pvm.yaml")'"
grep -q '^  returns: \[-38\]$' "$TMP/pvm.yaml" || fail "PVM: no default -38"
grep -q '^return: {reg: rax}' "$TMP/pvm.yaml" || fail "PVM: result register not rax"
for reg in rbx rcx rdx; do
	grep -q "a_$reg: {reg: $reg" "$TMP/pvm.yaml" || fail "PVM: no input in $reg"
done
grep -q 'reserved_1006 (0x1006): declared, but it answers like an unknown number' "$TMP/pvm.out" ||
	fail "PVM: the comparison misses reserved_1006"
# load_gdtr returns 0 whatever it gets: its inputs and that it is
# destructive show only in the follow-up call's exception delivery
gdtr=$(awk '/^  - name: load_gdtr/,/^$/' "$TMP/pvm.yaml")
for want_line in "a_rbx: {reg: rbx" "a_rcx: {reg: rcx" "destructive:" "after it came back"; do
	grep -qF "$want_line" <<< "$gdtr" || fail "PVM: load_gdtr lacks '$want_line'"
done
# event_return_a resumes the guest at rbx: guests lost at the address rbx held
era=$(awk '/^  - name: event_return_a/,/^$/' "$TMP/pvm.yaml")
grep -qF 'hands_over: {how: "resumes the guest at rip = rbx (learned)", rip: a_rbx}' <<< "$era" ||
	fail "PVM: event_return_a does not hand the guest over to rbx"
# the draft is a spec conformance runs against (a verdict, not a usage error)
run "$HCFUZZ" conform --spec "$TMP/pvm.yaml" --out "$TMP/conf" -q
[ "$rc" != 2 ] && [ "$rc" != 4 ] || fail "conform against the draft: exit $rc"

# The neighbourhood: three numbers and --around find the same family.
run "$HCFUZZ" learn --target kvm --transport "int 0x1b" --numbers 0x0,0x1000,0x40000000 --around 16 \
	-o "$TMP/around.yaml" -q > /dev/null
[ "$rc" = 0 ] || fail "around: exit $rc"
[ "$(numbers "$TMP/around.yaml")" = "$want" ] || fail "around: numbers '$(numbers "$TMP/around.yaml")'"

# 4. A budget cuts probing short: the draft says so and is whole.
run "$HCFUZZ" learn --target kvm --transport "int 0x1b" --numbers 0x1000-0x1010 --max-calls 200 \
	-o "$TMP/short.yaml" -q > /dev/null
[ "$rc" = 0 ] || fail "budget: exit $rc"
grep -q "The budget ran out" "$TMP/short.yaml" || fail "budget: the draft does not say it was cut"
run "$HCFUZZ" spec check "$TMP/short.yaml" > /dev/null
[ "$rc" = 0 ] || fail "budget: the draft does not load"

# 5. Interrupted: the draft of what was learned, whole, or none at all.
"$HCFUZZ" learn --target kvm --transport "int 0x1b" --numbers 0x0-0xfffff -o "$TMP/int.yaml" -q \
	> /dev/null 2>&1 &
pid=$!
sleep 2
kill -INT "$pid"
run wait "$pid"
[ "$rc" = 0 ] || fail "interrupted: exit $rc"
grep -q "Probing was interrupted" "$TMP/int.yaml" || fail "interrupted: the draft does not say it was cut"
run "$HCFUZZ" spec check "$TMP/int.yaml" > /dev/null
[ "$rc" = 0 ] || fail "interrupted: the draft does not load"
ok "learn"
