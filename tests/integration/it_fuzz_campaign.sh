#!/usr/bin/env bash
# it_fuzz_campaign.sh: a short real libFuzzer campaign on /dev/kvm against a
# spec that deliberately misstates the contract (invlpg "leaves rax alone",
# PVM returns 0 there) must find it, minimize it to the one call, and emit a
# reproducer that compiles and exits 1; the campaign writes its report.
. "$(dirname "$0")/lib.sh"
set -e
need_kvm
need_jq
[ "$(detected_hypervisor)" = pvm ] || skip "the misstated contract describes the PVM build; /dev/kvm here is '$(detected_hypervisor)'"
command -v cc >/dev/null || skip "no C compiler (cc) for the reproducer"
bindir=$(dirname "$HCFUZZ")
[ -x "$bindir/hcfuzz-fuzz-libfuzzer" ] || skip "hcfuzz-fuzz-libfuzzer not built (needs clang)"

out=$TMP/camp
run timeout 300 "$HCFUZZ" fuzz --spec "$SRC/tests/fixtures/pvm-misstated.yaml" --time 12 --out "$out" -q
[ "$rc" = 5 ] || fail "campaign exit $rc, expected 5 (FAIL findings)"
# the misstated contract, and nothing else (as it_fuzz_afl.sh)
only_findings "$out" 'clobber|invlpg|rax|returned' 'retval|reserved_1006|rax|returned'

id=$(for f in "$out"/findings/*/finding.json; do jq -r 'select(.signature == "clobber|invlpg|rax|returned") | .id' "$f"; done)
[ -n "$id" ] || { ls "$out/findings"; fail "no clobber|invlpg|rax finding"; }
fdir=$out/findings/$id
for f in finding.json input.bin program.hcf minimized.hcf minimized.bin repro.c; do
	[ -s "$fdir/$f" ] || fail "finding lacks $f"
done
[ "$(jq -r .minimized "$fdir/finding.json")" = true ] || fail "finding.json not marked minimized"
calls=$(grep -c '^call ' "$fdir/minimized.hcf")
[ "$calls" = 1 ] || { cat "$fdir/minimized.hcf"; fail "minimized to $calls calls, expected 1"; }
grep -q '^call invlpg' "$fdir/minimized.hcf" || fail "the minimized call is not invlpg"
# the minimized bytes decode back to the minimized program
"$HCFUZZ" decode --spec "$SRC/tests/fixtures/pvm-misstated.yaml" "$fdir/minimized.bin" | grep -q '^call invlpg' ||
	fail "minimized.bin does not decode to the minimized program"

cc -std=c11 -O2 -Wall -Wextra -Werror -o "$TMP/repro" "$fdir/repro.c" || fail "repro.c does not compile"
run "$TMP/repro"
[ "$rc" = 1 ] || fail "the reproducer exits $rc, expected 1 (still reproduces)"

[ -s "$out/report.html" ] && [ -s "$out/report.md" ] || fail "no campaign report"
grep -q "clobber|invlpg|rax|returned" "$out/report.md" || fail "report.md does not list the finding"
if command -v xmllint >/dev/null; then
	xmllint --noout "$out/report.html" "$out"/plot-*.svg || fail "report.html or a plot is not well formed"
fi
rows=$(($(wc -l < "$out/stats.csv") - 1))
[ "$rows" -ge 5 ] || fail "stats.csv has only $rows rows"
ok "campaign found, minimized and reproduced the misstated contract ($rows stats rows)"
