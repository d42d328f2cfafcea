#!/usr/bin/env bash
# it_spec_check.sh: "hcfuzz spec check" end to end: summary lines and exit 0
# for valid specs, file:line:col diagnostics and exit 2 for an invalid one,
# and checking goes on after a bad file. Needs only the hcfuzz binary.
set -u

if [ -z "${HCFUZZ:-}" ] || [ ! -x "$HCFUZZ" ]; then
	echo "SKIP: HCFUZZ does not name the hcfuzz binary"
	exit 77
fi
src=${HCF_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*"
	for f in "$tmp"/out "$tmp"/err; do
		[ -f "$f" ] && { echo "--- $(basename "$f")"; cat "$f"; }
	done
	exit 1
}

# run EXPECTED_RC ARGS...: stdout to $tmp/out, stderr to $tmp/err.
run() {
	local want=$1 rc
	shift
	"$HCFUZZ" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq "$want" ] || fail "hcfuzz $* exited $rc, expected $want"
}

has() { grep -qF -- "$2" "$tmp/$1" || fail "$1 lacks: $2"; }

fa=$src/tests/fixtures/xen-fastabi

# Valid: the KVM spec, every FastABI file, and their directory as one ABI.
run 0 spec check "$src/specs/kvm.yaml" "$fa"/*.yml "$fa"
has out "$src/specs/kvm.yaml: ok: abi kvm, 12 calls, 0 sub-operations, 12 ops, transport native, 1 known anomaly"
has out "$fa/event_channel.yml: ok: abi event_channel (xen-fastabi), 1 call, 14 sub-operations"
has out "$fa/memory.yml: ok: abi memory (xen-fastabi), 1 call, 1 sub-operation"
has out "$fa: ok: abi xen-fastabi (xen-fastabi), 7 calls, 49 sub-operations"
[ "$(wc -l <"$tmp/out")" -eq 9 ] || fail "expected one line per argument"
[ -s "$tmp/err" ] && fail "stderr not empty for valid specs"

# One bad file between two good ones: all three are checked, exit 2.
bad=$src/tests/fixtures/specs/invalid/reg_twice.yaml
run 2 spec check "$src/specs/kvm.yaml" "$bad" "$fa/vcpu.yml"
has err "$bad:9:21: error: register rbx named twice in input"
has out "$bad: invalid"
has out "$src/specs/kvm.yaml: ok:"
has out "$fa/vcpu.yml: ok:"

# Every invalid fixture is rejected with a positioned diagnostic.
for f in "$src"/tests/fixtures/specs/invalid/*; do
	run 2 spec check "$f"
	grep -qE "^$(printf '%s' "$f" | sed 's/[][\.*^$/]/\\&/g'):[0-9]+:[0-9]+: error: " "$tmp/err" ||
		fail "$f: no file:line:col diagnostic"
	has out "$f: invalid"
done

# A known anomaly's program that does not parse against its spec: the spec
# is invalid (hcfuzz conform runs the program), and the error names the
# anomaly and the position in its program.
sed 's/      call set_cr0 value=0/      call set_cr0 valeu=0/' "$src/specs/pvm.yaml" >"$tmp/anom.yaml"
run 2 spec check "$tmp/anom.yaml"
has err "known anomaly pvm-cr-status, reproduce:1:"
has out "$tmp/anom.yaml: invalid"
run 0 spec check "$src/specs/pvm.yaml"
has out "transport int 0x1b, $(grep -c '^  - id: ' "$src/specs/pvm.yaml") known anomalies"

# Unreadable file, usage errors, help.
run 2 spec check "$tmp/missing.yaml"
has err "$tmp/missing.yaml: error: cannot read"
run 2 spec check
run 2 spec
run 2 spec frobnicate
run 0 spec --help
has out "usage: hcfuzz spec check"
run 0 spec check --help
has out "usage: hcfuzz spec check"
run 0 spec check --list "$src/specs/kvm.yaml"
has out "KVM_HC_SEND_IPI"

echo "PASS: hcfuzz spec check"
exit 0
