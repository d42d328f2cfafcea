#!/usr/bin/env bash
# it_qemu_target.sh: the agent as a real guest of QEMU TCG (Debian's QEMU,
# fetched into the build's cache): kvm.yaml gets the verdicts TCG really
# gives (vmmcall is #UD there), a QEMU that ends in the middle of a program
# is CRASH with its exit status, a QEMU killed in the middle of a run is
# CRASH and the run goes on, a guest that writes garbage on the channel is
# ERROR, and the next program runs on a fresh QEMU.
. "$(dirname "$0")/lib.sh"
set -e
need_jq
fetch_into_cache qemu
export HCF_QEMU=$CACHE/qemu/qemu-system-x86_64
"$HCFUZZ" targets | grep -q '^qemu  *yes' || fail "hcfuzz targets does not list qemu as runnable"
HCF_QEMU=/nonexistent "$HCFUZZ" targets | grep -A1 '^qemu  *no' | grep -q 'ninja -C build qemu' ||
	fail "hcfuzz targets does not say what a missing QEMU needs"

# kvm.yaml under TCG: -cpu max is AMD, so native is vmmcall, which TCG does
# not implement: every test FAILs on the exception oracle with #UD
run timeout 300 "$HCFUZZ" conform --spec "$SRC/specs/kvm.yaml" --target qemu --out "$TMP/kvm" -q
[ "$rc" = 5 ] || fail "kvm.yaml on QEMU TCG: expected FAIL (5), got $rc"
# the known anomaly recorded on nested KVM does not apply to QEMU's own TCG
[ "$(jq -r 'select(.test | startswith("anomaly/")) | .verdict' "$TMP/kvm/results.jsonl")" = SKIP ] ||
	fail "kvm.yaml's nested-KVM anomaly is not SKIP on qemu"
jq -c 'select(.test | startswith("anomaly/") | not)' "$TMP/kvm/results.jsonl" >"$TMP/kvm/plan.jsonl"
mv "$TMP/kvm/plan.jsonl" "$TMP/kvm/results.jsonl"
n=$(wc -l <"$TMP/kvm/results.jsonl")
[ "$n" = 130 ] || fail "expected 130 tests, got $n"
[ "$(jq -r .verdict "$TMP/kvm/results.jsonl" | sort -u)" = FAIL ] ||
	fail "not every test FAILs: $(jq -r .verdict "$TMP/kvm/results.jsonl" | sort | uniq -c)"
[ "$(jq -r '.calls[0].exception.vector' "$TMP/kvm/results.jsonl" | sort -u)" = 6 ] ||
	fail "not every call raised #UD: $(jq -r '.calls[0].exception' "$TMP/kvm/results.jsonl" | sort | uniq -c)"
grep -q 'accel tcg' "$TMP/kvm/summary.md" || grep -q 'qemu-tcg' "$TMP/kvm/summary.md" ||
	fail "the summary does not say which QEMU ran"

# The VMware backdoor of QEMU's pc machine against its spec: every test PASSes,
# the ABI's own rules (a wrong magic, garbage above the command byte) included
run timeout 300 "$HCFUZZ" conform --spec "$SRC/specs/vmware-backdoor.yaml" --target qemu --out "$TMP/vm" -q
[ "$rc" = 0 ] || fail "vmware-backdoor.yaml on QEMU: expected PASS (0), got $rc: $(jq -r 'select(.verdict != "PASS") | .test + " " + .reason' "$TMP/vm/results.jsonl" | head -5)"
n=$(wc -l <"$TMP/vm/results.jsonl")
[ "$n" -ge 40 ] || fail "only $n backdoor tests"
for t in abi/magic-rax-wrong abi/magic-rax-upper-garbage abi/number-upper-garbage; do
	[ "$(jq -r --arg t "$t" 'select(.test == $t) | .verdict' "$TMP/vm/results.jsonl")" = PASS ] ||
		fail "$t is not a PASS"
done
[ "$(jq -r 'select(.test == "GETVERSION/baseline") | .calls[0].after | .rax + " " + .rbx + " " + .rcx' \
	"$TMP/vm/results.jsonl")" = "0x6 0x564d5868 0x2" ] || fail "GETVERSION does not answer 6, the magic, 2"
# the same agent through QEMU's PVH entry (the ELF note) instead of multiboot
run timeout 300 "$HCFUZZ" conform --spec "$SRC/specs/vmware-backdoor.yaml" --target qemu --target-opt boot=pvh \
	--out "$TMP/pvh" -q
[ "$rc" = 0 ] || fail "vmware-backdoor.yaml on QEMU, PVH boot: expected PASS (0), got $rc"
grep -q "boot=pvh" "$TMP/pvh/summary.md" || fail "the summary does not say the agent booted through PVH"
# a spec that forgets that GETVERSION writes ecx: FAIL, naming rcx, and nothing else
grep -v '      vmx_type: ecx' "$SRC/specs/vmware-backdoor.yaml" >"$TMP/misstated.yaml"
run timeout 300 "$HCFUZZ" conform --spec "$TMP/misstated.yaml" --target qemu --out "$TMP/vm2" -q
[ "$rc" = 5 ] || fail "misstated backdoor spec: expected FAIL (5), got $rc"
[ "$(jq -r 'select(.verdict != "PASS") | .test' "$TMP/vm2/results.jsonl" | sort | tr '\n' ' ')" = \
	"GETVERSION/baseline abi/magic-rax-upper-garbage abi/number-upper-garbage " ] ||
	fail "unexpected non-PASS tests: $(jq -r 'select(.verdict != "PASS") | .test' "$TMP/vm2/results.jsonl")"
[ "$(jq -r 'select(.test == "GETVERSION/baseline") | [.calls[0].issues[] | select(.verdict == "FAIL") | .where] | unique | join(",")' \
	"$TMP/vm2/results.jsonl")" = rcx ] || fail "the misstatement's FAIL does not name rcx"

# QEMU ending mid-program: isa-debug-exit makes QEMU exit with (value << 1) | 1
mkdir -p "$TMP/corpus"
printf 'call nr=0xfbf4 rax=0x2a\n' >"$TMP/corpus/a-exit.hcf"    # port 0x500 + 0xfbf4 = 0xf4
printf 'call ping data=1\n' >"$TMP/corpus/b-ping.hcf"
run timeout 120 "$HCFUZZ" replay --spec "$SRC/tests/fixtures/responder.yaml" --target qemu \
	--target-opt debug-exit=0xf4 --out "$TMP/rep" -q "$TMP/corpus"
[ "$rc" = 7 ] || fail "a QEMU that ends: expected CRASH (7), got $rc"
line=$(jq -c 'select(.test | endswith("a-exit.hcf"))' "$TMP/rep/results.jsonl")
[ "$(jq -r .verdict <<<"$line")" = CRASH ] || fail "the exiting program is not CRASH: $line"
[ "$(jq -r .liveness <<<"$line")" = vmm-gone ] || fail "not vmm-gone: $line"
jq -r .detail <<<"$line" | grep -q "QEMU ended: exit status 85" || fail "no exit status: $line"
[ "$(jq -r 'select(.test | endswith("b-ping.hcf")) | .verdict' "$TMP/rep/results.jsonl")" = PASS ] ||
	fail "the program after the crash did not run on a fresh QEMU"

# A guest that writes garbage on the channel: the test image of the agent
# rings with a wrong check from its fourth frame on (boot, first command, one
# program): the second program is ERROR, the third runs on a fresh QEMU
garbler=${HCF_BUILD_DIR:-}/guests/hcf-agent-garble.elf
[ -f "$garbler" ] || fail "the garbling agent image $garbler is not built"
rm -rf "$TMP/corpus" && mkdir -p "$TMP/corpus"
for p in a b c; do printf 'call ping data=1\n' >"$TMP/corpus/$p-ping.hcf"; done
run timeout 120 "$HCFUZZ" replay --spec "$SRC/tests/fixtures/responder.yaml" --target qemu \
	--agent "$garbler" --out "$TMP/garbage" -q "$TMP/corpus"
[ "$rc" = 4 ] || fail "garbage on the channel: expected ERROR (4), got $rc"
[ "$(jq -r '.verdict' "$TMP/garbage/results.jsonl" | tr '\n' ' ')" = "PASS ERROR PASS " ] ||
	fail "expected PASS ERROR PASS: $(jq -r .verdict "$TMP/garbage/results.jsonl" | tr '\n' ' ')"
line=$(jq -c 'select(.test | endswith("b-ping.hcf"))' "$TMP/garbage/results.jsonl")
[ "$(jq -r .liveness <<<"$line")" = protocol-violation ] || fail "not a protocol violation: $line"
jq -r .detail <<<"$line" | grep -q "garbage on the doorbell" || fail "the detail does not say garbage: $line"

# QEMU killed in the middle of a run (by pid, while programs are running):
# the program it was serving is CRASH with the signal, the rest run on a
# fresh QEMU and PASS. 30 programs of 3000 calls keep QEMU busy for seconds.
rm -rf "$TMP/corpus" && mkdir -p "$TMP/corpus"
for i in $(seq -w 1 30); do
	seq 1 3000 | sed 's/^/call ping data=/' >"$TMP/corpus/p$i.hcf"
done
replay_kill_qemu "$TMP/kill" 30 --spec "$SRC/tests/fixtures/responder.yaml" --target qemu "$TMP/corpus"
ok "kvm.yaml on QEMU TCG: 130 FAIL (#UD); vmware-backdoor.yaml: $n PASS, a misstated one FAILs on rcx; QEMU exit 85 mid-program: CRASH, next program PASS; garbage on the channel: ERROR; QEMU killed mid-run: one CRASH (signal 9), 29 PASS"
