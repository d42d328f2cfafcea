#!/usr/bin/env bash
# it_fuzz_resume.sh: kill -9 a campaign mid-run: its engines die with it,
# every finding is intact, and running it again on the same directory
# resumes with corpus and findings (and the elapsed time) carried on.
. "$(dirname "$0")/lib.sh"
set -e
need_kvm
bindir=$(dirname "$HCFUZZ")
[ -x "$bindir/hcfuzz-fuzz-libfuzzer" ] || skip "hcfuzz-fuzz-libfuzzer not built (needs clang)"
need_jq
spec=$SRC/specs/pvm.yaml
[ "$(detected_hypervisor)" = pvm ] || spec=$SRC/tests/fixtures/responder.yaml

out=$TMP/camp
"$HCFUZZ" fuzz --spec "$spec" --time 120 --out "$out" -q --no-minimize >"$TMP/run1.log" 2>&1 &
pid=$!
for _ in $(seq 1 60); do
	[ -f "$out/engines.pid" ] && [ "$(ls "$out/corpus" 2>/dev/null | wc -l)" -gt 20 ] && break
	sleep 0.5
done
sleep 2
engines=$(cut -d' ' -f1 "$out/engines.pid")
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
sleep 2
for e in $engines; do
	if kill -0 "$e" 2>/dev/null; then
		kill -9 -"$e" 2>/dev/null || true
		fail "engine $e outlived the killed campaign"
	fi
done
corpus1=$(ls "$out/corpus" | wc -l)
findings1=$(ls "$out/findings" | sort)
elapsed1=$(tail -n1 "$out/stats.csv" | cut -d, -f2)
[ "$corpus1" -gt 0 ] || fail "no corpus after the first run"

run "$HCFUZZ" fuzz --spec "$spec" --time 4 --out "$out" -q --no-minimize
case "$rc" in 0 | 5 | 6 | 7) ;; *) fail "resumed campaign exit $rc" ;; esac
corpus2=$(ls "$out/corpus" | wc -l)
[ "$corpus2" -ge "$corpus1" ] || fail "corpus shrank from $corpus1 to $corpus2"
for f in $findings1; do
	[ -s "$out/findings/$f/finding.json" ] || fail "finding $f lost"
done
[ "$(jq '.runs | length' "$out/campaign.json")" = 2 ] || fail "campaign.json does not record two runs"
elapsed2=$(tail -n1 "$out/stats.csv" | cut -d, -f2)
awk -v a="$elapsed1" -v b="$elapsed2" 'BEGIN { exit !(b > a) }' || fail "elapsed time restarted ($elapsed1 -> $elapsed2)"
ok "resumed: corpus $corpus1 -> $corpus2, findings kept, elapsed $elapsed1 -> $elapsed2 s"
