#!/usr/bin/env bash
# it_fuzz_afl.sh: the AFL++ engine with two instances (-M/-S on one sync
# directory) runs, shares its queue, and stores findings: those of the
# misstated contract, and no other (as it_fuzz_campaign.sh).
. "$(dirname "$0")/lib.sh"
set -e
need_kvm
need_jq
command -v afl-fuzz >/dev/null || skip "afl-fuzz is not installed"
bindir=$(dirname "$HCFUZZ")
[ "$(detected_hypervisor)" = pvm ] || skip "the misstated contract describes the PVM build"
# A campaign builds its engine's binary when it is missing (and relinks it
# when it is stale: harness/fuzz/engine_bin.h). From a build directory that
# has the AFL++ target, take the binary away so that this campaign builds it.
rebuild=false
cache=$bindir/CMakeCache.txt
if [ -f "$cache" ] && grep -q '^HCF_BUILD_FUZZERS:BOOL=ON' "$cache" &&
	! grep -q '^HCF_SANITIZE:BOOL=ON' "$cache" && command -v afl-clang-fast >/dev/null; then
	rm -f "$bindir/hcfuzz-fuzz-afl"
	rebuild=true
fi
[ -x "$bindir/hcfuzz-fuzz-afl" ] || $rebuild || skip "hcfuzz-fuzz-afl not built (needs afl-clang-fast)"

out=$TMP/camp
run timeout 300 "$HCFUZZ" fuzz --spec "$SRC/tests/fixtures/pvm-misstated.yaml" --engine afl --jobs 2 \
	--time 15 --out "$out" -q --no-minimize
# 5 (FAIL): the misstated contract, and nothing else: a hang, a crash or a
# finding the spec's known anomalies do not cover is a failure to look at.
[ "$rc" = 5 ] || { tail -20 "$out"/logs/afl-main.log; fail "AFL++ campaign exit $rc, expected 5"; }
if $rebuild; then
	[ -x "$bindir/hcfuzz-fuzz-afl" ] || fail "the campaign did not build hcfuzz-fuzz-afl"
	grep -q 'hcfuzz-fuzz-afl' "$out/logs/engine-build.log" ||
		fail "the campaign's build log does not show hcfuzz-fuzz-afl built"
fi
grep -l '"clobber|invlpg|rax|returned"' "$out"/findings/*/finding.json >/dev/null 2>&1 ||
	fail "the misstated invlpg clobber is not among the findings"
only_findings "$out" 'clobber|invlpg|rax|returned' 'retval|reserved_1006|rax|returned'
[ -d "$out/afl/main/queue" ] && [ -d "$out/afl/sec1/queue" ] || fail "no main and secondary instance"
q=$(ls "$out/afl/main/queue" | grep -c '^id:' || true)
[ "$q" -gt 5 ] || fail "the main queue holds only $q entries"
# the seeds alone fill a queue: AFL++ must also have kept mutants for what
# they did to the hypervisor, which it learns only from the features the
# target writes into its map
cov=$(ls "$out/afl/main/queue" "$out/afl/sec1/queue" | grep -c 'src:.*+cov' || true)
[ "$cov" -gt 0 ] || fail "no mutant brought new coverage: AFL++ sees no features"
[ "$(ls "$out/findings" | wc -l)" -gt 0 ] || fail "no findings"
grep -q "fuzzing engines exited" "$out/campaign.json" && fail "the engines died"
# both instances ran inputs, by AFL++'s own count
for i in main sec1; do
	n=$(sed -n 's/^execs_done *: *//p' "$out/afl/$i/fuzzer_stats")
	[ "${n:-0}" -gt 50 ] || fail "instance $i ran only ${n:-0} inputs"
done
execs=$(tail -n1 "$out/stats.csv" | cut -d, -f3)
[ "$execs" -gt 0 ] || fail "the status line counted no executions"
stab=$(sed -n 's/^stability *: *//p' "$out/afl/main/fuzzer_stats")
ok "AFL++ x2: $execs executions counted, queue $q ($cov mutants with new coverage), stability $stab, $(ls "$out/findings" | wc -l) findings"
