#!/usr/bin/env bash
# it_apple_on_kvm_nested.sh: Apple's hypercall codes on upstream Linux KVM
# (kvm-nested), a hypervisor that does not implement that ABI. XNU's
# x86_hypercall.h puts 'A' in a code's top byte so that a hypervisor does not
# take it for one of its own calls (its example: code 1 is also KVM's
# KVM_HC_VAPIC_POLL_IRQ). What upstream KVM does with such codes:
# 1. through vmmcall, the instruction KVM serves on this (SVM) machine, and
#    judged by KVM's own contract (specs/kvm.yaml: an unknown number returns
#    -KVM_ENOSYS and changes nothing else): Apple's codes 1 to 6 with the
#    argument registers XNU loads, and 'A' before KVM's other numbers. Each
#    must come back with rax = -1000 and every other register and RFLAGS as
#    they were (CF set before some calls stays set); KVM_HC_VAPIC_POLL_IRQ
#    itself, in the same program, returns 0, so the check tells them apart;
# 2. through vmcall, the instruction specs/apple-hvg.yaml names: the other
#    vendor's on SVM, which KVM, its FIX_HYPERCALL_INSN quirk off as hcfuzz
#    sets it, answers with #UD. The spec's whole plan: every test FAILs on
#    #UD with every register as loaded. Not a conformance result for Apple's
#    ABI (KVM does not offer it): what this hypervisor answers.
# Two boots of the nested machine, about 8 s each.
. "$(dirname "$0")/lib.sh"
set -e
need_jq
need_kvm_nested

# 1. 'A'-prefixed codes reach KVM's dispatcher as unknown numbers
mkdir "$TMP/progs"
cat >"$TMP/progs/apple-codes.hcf" <<'PROG'
abi kvm
call KVM_HC_VAPIC_POLL_IRQ
call nr=0x41000001 rdi=1
call nr=0x41000001 rdi=1 rflags=CF
call nr=0x41000002 rdi=0xffffff8000200000 rsi=0xffffff8000000000 rdx=0xfffffffffffff000 rcx=0x1000 r8=0xffffff9000000000 r9=0x100000 rflags=CF
call nr=0x41000003 rdi=0x123456789 rsi=0x987654321
call nr=0x41000004
call nr=0x41000005 rdi=1 rflags=CF
call nr=0x41000006 rdi=0
call nr=0x41000009 rbx=0 rcx=0
call nr=0x4100000a rbx=1 rcx=0 rdx=0 rsi=0
call nr=0x4100000b rbx=0
call nr=0x4100000c rbx=0 rcx=1 rdx=0
PROG
run timeout 300 "$HCFUZZ" replay --spec "$SRC/specs/kvm.yaml" "${nested_opts[@]}" --out "$TMP/kvm" -q "$TMP/progs"
[ "$rc" = 0 ] || fail "'A'-prefixed codes on KVM, judged by kvm.yaml: expected PASS (0), got $rc: $(jq -r '.calls[] | select(.verdict != "PASS") | .call + ": " + ([.issues[].reason] | join("; "))' "$TMP/kvm/results.jsonl" | head -5)"
R=$TMP/kvm/results.jsonl
[ "$(jq '.calls | length' "$R")" = 12 ] || fail "not 12 calls: $(jq -c '.calls | length' "$R")"
[ "$(jq -r '.calls[0].after.rax' "$R")" = 0x0 ] ||
	fail "KVM_HC_VAPIC_POLL_IRQ did not return 0: $(jq -r '.calls[0].after.rax' "$R")"
bad=$(jq -r '.calls[1:][] | select(.after.rax != "0xfffffffffffffc18") | .call + " rax=" + .after.rax' "$R")
[ -z "$bad" ] || fail "'A'-prefixed codes not answered -KVM_ENOSYS: $bad"
bad=$(jq -r '.calls[1:][] | select((.before | del(.rax)) != (.after | del(.rax)) or .rflags_before != .rflags_after) |
	.call + ": " + ([(.before | to_entries[]) as $b | select($b.key != "rax" and .after[$b.key] != $b.value) | $b.key] | join(" ")) +
	" rflags " + .rflags_before + " -> " + .rflags_after' "$R")
[ -z "$bad" ] || fail "an 'A'-prefixed code changed more than rax: $bad"
[ "$(jq -r 'select(.calls[].rflags_before == "0x3") | .test' "$R" | wc -l)" -ge 3 ] ||
	fail "no call had CF set before it"

# 2. the ABI's own instruction: #UD from KVM on SVM, every register as loaded
run timeout 300 "$HCFUZZ" conform --spec "$SRC/specs/apple-hvg.yaml" "${nested_opts[@]}" --out "$TMP/apple" -q
[ "$rc" = 5 ] || fail "apple-hvg.yaml on KVM: expected FAIL (5), got $rc"
A=$TMP/apple/results.jsonl
grep -q 'fix-hypercall-quirk=disabled' "$TMP/apple/summary.md" || fail "the quirk is not reported off"
n=$(jq -r 'select(.verdict == "FAIL" and .calls[0].exception.mnemonic == "#UD" and .calls[0].before == .calls[0].after and
	([.calls[0].issues[].oracle] | unique) == ["exception"]) | .test' "$A" | wc -l)
[ "$n" = "$(wc -l <"$A")" ] && [ "$n" -gt 50 ] ||
	fail "not every test a #UD with the registers as loaded ($n of $(wc -l <"$A")): $(jq -r 'select(.calls[0].exception.mnemonic != "#UD") | .test + " " + .verdict' "$A" | head -5)"

ok "upstream KVM: 11 'A'-prefixed codes through vmmcall answer -KVM_ENOSYS and change nothing else (KVM_HC_VAPIC_POLL_IRQ itself: 0); apple-hvg.yaml through vmcall: $n tests, each #UD"
