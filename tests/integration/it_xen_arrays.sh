#!/usr/bin/env bash
# it_xen_arrays.sh: the arrays a register counts and a call's own contract
# for its unknown sub-operations, on Xen 4.17's PV dom0 (xen-pv, QEMU TCG),
# judged against specs/xen.yaml and against the same spec without them:
# - multicall with nr_calls 0xffffffff and grant_table_op swap_grant_ref
#   with count 0x7fffffff, each over one laid-out element: Xen walks on past
#   the buffer and writes every element's result there, the guard first.
#   PASS with `count:`; without it, a FAIL on the guard;
# - vcpu_op's unknown command 99 for a vCPU the dom0 does not have
#   (-ENOENT, domain_vcpu() before the command) and grant_table_op's command
#   0x1001 (-EINVAL, bits above GNTTABOP_CMD_MASK): PASS with the calls'
#   `undeclared:`; with the ABI's -ENOSYS alone, FAIL.
# Three boots per spec (the array calls are destructive).
. "$(dirname "$0")/lib.sh"
set -e
need_jq
need_xen
SPEC=$SRC/specs/xen.yaml

mkdir -p "$TMP/corpus"
printf 'buf l struct=multicall_entry\ncall multicall call_list=&l nr_calls=0xffffffff\n' \
	>"$TMP/corpus/a-multicall.hcf"
printf 'buf s struct=gnttab_swap_grant_ref\ncall grant_table_op.swap_grant_ref uop=&s count=0x7fffffff\n' \
	>"$TMP/corpus/b-swap.hcf"
printf 'call nr=24.99 esi=5\ncall nr=20.0x1001 edx=1\n' >"$TMP/corpus/c-unknown.hcf"

# the spec as it was before it could say either
sed -e 's/, count: [a-z_]*}/}/' -e '/^    undeclared: /d' "$SPEC" >"$TMP/without.yaml"
! grep -q -e 'count: nr_calls' -e '^    undeclared:' "$TMP/without.yaml" || fail "could not strip the spec"

replay() { # SPEC OUT: the corpus on one Xen (rebuilt after each array call)
	run timeout 300 "$HCFUZZ" replay --spec "$1" --target xen-pv "${xen[@]}" --out "$TMP/$2" -q \
		"$TMP/corpus" >"$TMP/$2.txt" 2>&1
}
verdict() { jq -r "select(.test | endswith(\"$2\")) | .verdict" "$TMP/$1/results.jsonl"; }
reasons() { jq -r "select(.test | endswith(\"$2\")) | .reason" "$TMP/$1/results.jsonl"; }

replay "$SPEC" with
[ "$rc" = 0 ] || fail "xen.yaml: expected PASS (0), got $rc: $(jq -r '.test + " " + .verdict + " " + .reason' "$TMP/with/results.jsonl")"
rax=$(jq -r 'select(.test | endswith("c-unknown.hcf")) | .calls[].after.rax' "$TMP/with/results.jsonl" | tr '\n' ' ')
[ "$rax" = "0xfffffffffffffffe 0xffffffffffffffea " ] ||
	fail "vcpu_op 99 and grant_table_op 0x1001 do not return -ENOENT and -EINVAL: $rax"

replay "$TMP/without.yaml" without
[ "$rc" = 5 ] || fail "the spec without count: and undeclared:: expected FAIL (5), got $rc"
for p in a-multicall.hcf b-swap.hcf; do
	[ "$(verdict without $p)" = FAIL ] && reasons without $p | grep -q 'guard bytes after buf0 changed' ||
		fail "$p without count:: $(verdict without $p) $(reasons without $p)"
done
[ "$(verdict without c-unknown.hcf)" = FAIL ] || fail "c-unknown.hcf with the ABI's -ENOSYS alone: $(verdict without c-unknown.hcf)"
ok "Xen 4.17 (xen-pv): multicall and swap_grant_ref past their one laid-out element PASS with count: (FAIL on the guard without); vcpu_op 99 -ENOENT and grant_table_op 0x1001 -EINVAL PASS with the calls' undeclared: (FAIL with the ABI's)"
