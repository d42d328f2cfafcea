#!/usr/bin/env bash
# it_xen_fastabi_absent.sh: the FastABI (specs/xen-fastabi, the RFC's files)
# against Xen 4.17, which does not have it. The agent boots as Xen's PVH dom0
# under QEMU TCG and reads Xen's HVM leaf, whose EAX lacks
# XEN_HVM_CPUID_FASTABI (bit 7): the run makes no call, every test is SKIP
# with that reason on each of its calls, the terminal and summary.md say it
# once, junit.xml as a property, and the exit status is SKIP's (3). A
# campaign against it is refused before any engine starts (exit 3). Two boots.
. "$(dirname "$0")/lib.sh"
set -e
need_jq
need_xen
run timeout 300 "$HCFUZZ" conform --spec "$SRC/specs/xen-fastabi" --target xen-pvh \
	"${xen[@]}" --out "$TMP/fa" >"$TMP/out.txt" 2>&1
[ "$rc" = 3 ] || fail "expected SKIP (3), got $rc: $(tail -5 "$TMP/out.txt")"
r=$TMP/fa/results.jsonl
n=$(wc -l <"$r")
[ "$n" -ge 100 ] || fail "only $n tests"
[ "$(jq -r .verdict "$r" | sort -u)" = SKIP ] || fail "verdicts other than SKIP: $(jq -r .verdict "$r" | sort | uniq -c)"
[ "$(jq -r '.calls[].outcome' "$r" | sort -u)" = not-run ] || fail "a call was made"
calls=$(jq -r '.calls[].call' "$r" | wc -l)
why=$(jq -r '.calls[].issues[] | select(.oracle == "requires") | .reason' "$r" | grep -c 'XEN_HVM_CPUID_FASTABI is not set (CPUID 0x40000004 eax = ' || true)
[ "$why" = "$calls" ] || fail "$why of $calls calls carry the reason"
[ "$(grep -c 'XEN_HVM_CPUID_FASTABI is not set' "$TMP/out.txt")" = 1 ] ||
	fail "the terminal does not say it once: $(cat "$TMP/out.txt")"
grep -q "no call was made: every test is SKIP ($calls calls not applicable)" "$TMP/out.txt" ||
	fail "the terminal does not count the calls not applicable"
[ "$(grep -c '^## Not applicable' "$TMP/fa/summary.md")" = 1 ] || fail "summary.md has no Not applicable section"
grep -q '^| calls | 0 |$' "$TMP/fa/summary.md" || fail "summary.md counts calls made"
grep -q 'property name="not_applicable" value="ABI xen-fastabi is absent' "$TMP/fa/junit.xml" ||
	fail "junit.xml has no not_applicable property"
# a campaign against it is refused up front: exit 3, the reason, no engine
run timeout 300 "$HCFUZZ" fuzz --spec "$SRC/specs/xen-fastabi" --target xen-pvh \
	"${xen[@]}" --time 30 --out "$TMP/camp" -q 2>"$TMP/camp.txt"
[ "$rc" = 3 ] || fail "a campaign on the absent FastABI: expected exit 3, got $rc: $(cat "$TMP/camp.txt")"
grep -q 'not applicable on xen-pvh: ABI xen-fastabi is absent' "$TMP/camp.txt" ||
	fail "the campaign does not say why: $(cat "$TMP/camp.txt")"
[ ! -e "$TMP/camp/stats" ] || [ -z "$(ls "$TMP/camp/stats")" ] || fail "the campaign started engines"
eax=$(grep -o 'eax = 0x[0-9a-f]*' "$TMP/out.txt" | head -1)
ok "the FastABI on Xen 4.17 (PVH dom0, HVM leaf $eax): not applicable, $n tests SKIP, $calls calls not made, the reason once; a campaign refused (exit 3)"
