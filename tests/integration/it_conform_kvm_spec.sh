#!/usr/bin/env bash
# it_conform_kvm_spec.sh: the KVM ABI against /dev/kvm finishes in bounded
# time (no hang of hcfuzz itself) with the exact verdicts of the host: on the
# PVM build here, every KVM hypercall answers -KVM_EPERM.
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
case "$hv" in
pvm)
	# PVM runs the guest kernel at CPL3, so KVM's dispatcher answers every
	# call, declared or not, with -KVM_EPERM: every test FAILs, each on rax
	[ "$rc" = 5 ] || fail "expected FAIL (5) on PVM, got $rc"
	# the known anomaly recorded on nested KVM does not apply here
	[ "$(jq -r 'select(.test == "anomaly/kvm-svm-no-nrips-skip") | .verdict' "$TMP/out/results.jsonl")" = SKIP ] ||
		fail "kvm.yaml's nested-KVM anomaly is not SKIP on PVM"
	jq -c 'select(.test | startswith("anomaly/") | not)' "$TMP/out/results.jsonl" >"$TMP/plan.jsonl"
	mv "$TMP/plan.jsonl" "$TMP/out/results.jsonl"
	n=$(wc -l < "$TMP/out/results.jsonl")
	[ "$n" -ge 100 ] || fail "only $n tests"
	[ "$(jq -r .verdict "$TMP/out/results.jsonl" | sort -u)" = FAIL ] ||
		fail "expected every test FAIL on PVM: $(jq -r .verdict "$TMP/out/results.jsonl" | sort | uniq -c)"
	[ "$(jq -r '.calls[0].after.rax' "$TMP/out/results.jsonl" | sort -u)" = 0xffffffffffffffff ] ||
		fail "not every call returned -KVM_EPERM"
	# each failing test names the register and the value
	[ "$(jq -r '[.calls[0].issues[] | select(.verdict == "FAIL") | .where] | unique | join(",")' \
		"$TMP/out/results.jsonl" | sort -u)" = rax ] || fail "a FAIL names something else than rax"
	grep -q 'KVM_EPERM' "$TMP/out/summary.md" || fail "summary does not name -KVM_EPERM"
	;;
*)
	skip "the exact verdicts of kvm.yaml are known for the PVM build here; /dev/kvm is '${hv:-unusable}'"
	;;
esac
ok "kvm.yaml on $hv: exit $rc after $((end - start)) s"
