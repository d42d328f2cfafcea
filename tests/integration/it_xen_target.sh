#!/usr/bin/env bash
# it_xen_target.sh: Xen 4.17 (Debian's, fetched into the build's cache) as a
# target (xen-pvh, in progress): the agent boots as Xen's PVH dom0 under QEMU
# TCG, the host finds the dom0's shared pages in QEMU's RAM by their tags,
# and Xen answers through vmmcall: the conformance plan of xen_version's ten
# XENVER_* commands (their structs written through the pointer) PASSes,
# XENVER_version is 0x40011, an unknown number -ENOSYS; a spec that
# misstates the version FAILs on rax.
. "$(dirname "$0")/lib.sh"
set -e
need_jq
fetch_into_cache qemu xen
export HCF_QEMU=$CACHE/qemu/qemu-system-x86_64
opts=(--target xen-pvh --target-opt "xen=$CACHE/xen/xen")
mkdir -p "$TMP/corpus"
printf 'call xen_version.version arg=0\n' >"$TMP/corpus/a-version.hcf"
printf 'call nr=0x60 rdi=1\ncall nr=0xffff\n' >"$TMP/corpus/b-unknown.hcf"
printf 'buf caps struct=xen_capabilities_info\ncall xen_version.version arg=0\ncall nr=0x60\ncall xen_version.capabilities arg=&caps\n' >"$TMP/corpus/c-mixed.hcf"
run timeout 300 "$HCFUZZ" replay --spec "$SRC/tests/fixtures/xen-version.yaml" "${opts[@]}" \
	--out "$TMP/rep" -q "$TMP/corpus"
[ "$rc" = 0 ] || fail "xen-version on Xen: expected PASS (0), got $rc: $(jq -r 'select(.verdict != "PASS") | .test + " " + .reason' "$TMP/rep/results.jsonl" | head -3)"
[ "$(jq -r 'select(.test | endswith("a-version.hcf")) | .calls[0].after.rax' "$TMP/rep/results.jsonl")" = 0x40011 ] ||
	fail "xen_version did not answer 0x40011"
[ "$(jq -r 'select(.test | endswith("b-unknown.hcf")) | .calls[].after.rax' "$TMP/rep/results.jsonl" | sort -u)" = \
	0xffffffffffffffda ] || fail "unknown numbers do not return -ENOSYS"
grep -q 'XenVMMXenVMM' "$TMP/rep/summary.md" || fail "the agent did not see Xen's CPUID signature"

# the plan of every XENVER_* command: each PASSes (pointers null, at the
# edge, outside RAM included)
run timeout 300 "$HCFUZZ" conform --spec "$SRC/tests/fixtures/xen-version.yaml" "${opts[@]}" \
	--no-undeclared --out "$TMP/conf" -q
[ "$rc" = 0 ] || fail "xen_version's plan on Xen: expected PASS (0), got $rc: $(jq -r 'select(.verdict != "PASS") | .test + " " + .reason' "$TMP/conf/results.jsonl" | head -3)"
n=$(wc -l <"$TMP/conf/results.jsonl")
[ "$n" -ge 100 ] || fail "only $n tests"

# a spec that says 4.16: FAIL on rax, with the value Xen gave
sed 's/returns: \[0x40011\]/returns: [0x40010]/' "$SRC/tests/fixtures/xen-version.yaml" >"$TMP/mis.yaml"
run timeout 300 "$HCFUZZ" run --spec "$TMP/mis.yaml" "${opts[@]}" "$TMP/corpus/a-version.hcf" >"$TMP/run.txt" 2>&1
[ "$rc" = 5 ] || fail "misstated version: expected FAIL (5), got $rc: $(tail -3 "$TMP/run.txt")"
grep -q 'FAIL retval rax: .*got 0x40011' "$TMP/run.txt" || fail "the FAIL does not name rax and 0x40011: $(cat "$TMP/run.txt")"
ok "Xen 4.17 PVH dom0 under QEMU TCG: $n xen_version tests PASS, XENVER_version 0x40011, unknown numbers -ENOSYS; a misstated version FAILs on rax"
