#!/usr/bin/env bash
# test.sh: the test suite, as CI runs it.
#
#   ci/test.sh
#
# 1. setup.sh: dependencies and the build (warnings are errors);
# 2. every test: unit tests (cmocka, no VM) and integration tests, which run
#    real VMs on /dev/kvm and print SKIP with the reason where it is missing
#    (where it is present, a test that would skip fails: HCF_REQUIRE_VM);
# 3. ci/replay.sh: every spec's corpora replayed;
# 4. an ASan+UBSan build of the unit tests, run (the property runs of
#    test_codec with a fiftieth of their rounds there, every ABI still);
# 5. the parser fuzz targets of that build (tests/fuzz), 5 s each.
# Exits non-zero if anything failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$(date +%s)

step() { printf '\n=== %s\n' "$*"; }

step "build"
ci/setup.sh build

step "tests (unit and integration)"
# On a host with /dev/kvm the VM tests must run: one that would skip fails
# (tests/integration/lib.sh), so the suite cannot pass without VM coverage.
if [ -e /dev/kvm ]; then
	export HCF_REQUIRE_VM=1
	echo "HCF_REQUIRE_VM=1: /dev/kvm is here, integration tests may not skip"
fi
ctest --test-dir build --output-on-failure -j2

step "regression replay of every spec's corpora"
ci/replay.sh build/hcfuzz

step "unit tests under ASan+UBSan"
# The same build holds the parser fuzz targets (tests/fuzz): HCF_PARSER_FUZZERS
# adds libFuzzer's coverage to the sanitized code.
cmake -S . -B build-asan -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=Debug \
	-DHCF_SANITIZE=ON -DHCF_PARSER_FUZZERS=ON >/dev/null
ninja -C build-asan $(ctest --test-dir build -N -L unit | sed -n 's/.*unit\/\(test_[a-z0-9_]*\)$/\1/p')
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan -L unit --output-on-failure -j2

step "parser fuzz targets, a few seconds each"
ninja -C build-asan $(ctest --test-dir build-asan -N -L parser_fuzz | sed -n 's/.*parser_fuzz\/\([a-z_]*\)$/fuzz_\1/p') \
	fuzz-parser-seeds
ctest --test-dir build-asan -L parser_fuzz --output-on-failure -j2

step "done in $(($(date +%s) - start)) s"
