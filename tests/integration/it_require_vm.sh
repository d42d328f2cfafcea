#!/usr/bin/env bash
# it_require_vm.sh: with HCF_REQUIRE_VM=1 on a host that has /dev/kvm, an
# integration test that would skip fails (exit 1) instead of exiting 77, so
# .ci/run cannot go green without running its VM tests; without it, it skips.
. "$(dirname "$0")/lib.sh"
set -e
lib=$(dirname "$0")/lib.sh
would_skip() { (set +e; HCF_REQUIRE_VM=$1 bash -c ". '$lib'; skip 'pretend the VM is missing'") >"$TMP/out" 2>&1; }

run would_skip 0
[ "$rc" = 77 ] || fail "without HCF_REQUIRE_VM a skip exits $rc, not 77"
grep -q '^SKIP: pretend' "$TMP/out" || fail "the skip did not print its reason"

run would_skip 1
if [ -e /dev/kvm ]; then
	[ "$rc" = 1 ] || fail "HCF_REQUIRE_VM=1 with /dev/kvm: a skip exits $rc, not 1"
	grep -q 'HCF_REQUIRE_VM=1 and /dev/kvm exists' "$TMP/out" || fail "no reason given"
	ok "a skip fails where /dev/kvm exists and VM tests are required"
else
	[ "$rc" = 77 ] || fail "HCF_REQUIRE_VM=1 without /dev/kvm: a skip exits $rc, not 77"
	ok "without /dev/kvm a skip stays a skip, HCF_REQUIRE_VM or not"
fi
