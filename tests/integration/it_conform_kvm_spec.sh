#!/usr/bin/env bash
# it_conform_kvm_spec.sh: the KVM ABI against whatever /dev/kvm is here
# finishes in bounded time with verdicts (no hang of hcfuzz itself); on PVM
# the verdicts say what it does with KVM hypercalls.
. "$(dirname "$0")/lib.sh"
set -e
need_kvm
need_jq
start=$(date +%s)
run timeout 300 "$HCFUZZ" conform --spec "$SRC/specs/kvm.yaml" --out "$TMP/out" -q
end=$(date +%s)
[ "$rc" != 124 ] || fail "hcfuzz conform did not finish within 300 s"
case "$rc" in
0 | 3 | 4 | 5 | 6 | 7) ;;
*) fail "exit code $rc is not a verdict code" ;;
esac
[ -s "$TMP/out/results.jsonl" ] || fail "no results"
hv=$(detected_hypervisor)
if [ "$hv" = pvm ]; then
	# PVM runs the guest kernel at CPL3, so KVM's dispatcher answers -KVM_EPERM
	[ "$rc" = 5 ] || fail "expected FAIL (5) on PVM, got $rc"
	jq -r 'select(.group == "undeclared") | .calls[0].after.rax' "$TMP/out/results.jsonl" |
		sort -u | grep -qx 0xffffffffffffffff || fail "undeclared KVM numbers did not return -KVM_EPERM"
	grep -q 'KVM_EPERM' "$TMP/out/summary.md" || fail "summary does not name -KVM_EPERM"
fi
ok "kvm.yaml on $hv: exit $rc after $((end - start)) s"
