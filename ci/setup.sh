#!/usr/bin/env bash
# setup.sh: install hcfuzz's Debian 12 dependencies (if missing) and build it.
#
#   ci/setup.sh [--conform] [BUILD_DIR]    default BUILD_DIR: build (next to this repo's root)
#
# The full setup (no option; ci/test.sh) installs every package and builds
# everything: hcfuzz, the tests, the benchmarks, the fuzz targets.
# --conform (ci/quickstart.sh) installs only what hcfuzz builds with and
# builds hcfuzz alone, which is all a conformance run needs; the fuzz targets
# are built by the first campaign that runs them (docs/fuzzing.md) or by a
# later full setup in the same BUILD_DIR.
#
# Installs with apt-get only what is missing, so it is quick on a machine that
# has everything; uses sudo when not run as root. The build is CMake + Ninja
# with clang-14 and leaves the command-line tool at BUILD_DIR/hcfuzz.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
conform_only=false
if [ "${1:-}" = --conform ]; then
	conform_only=true
	shift
fi
build=${1:-$root/build}

# Everything comes from Debian's archive. What hcfuzz builds with: clang-14
# (which brings the linker and the C library's headers), CMake, Ninja,
# libyaml and jansson; cmocka because the build is configured with its tests
# (the same build directory serves the full setup later).
packages=(cmake ninja-build pkg-config clang-14 libyaml-dev libjansson-dev libcmocka-dev)
if ! $conform_only; then
	# clang-14 because Debian's AFL++ is built for LLVM 14;
	# libclang-rt-14-dev holds the libFuzzer and sanitizer runtimes (only a
	# Recommends of clang, so it is named here). jq and libxml2-utils for the
	# tests; libseccomp-dev builds Solo5's tender for the solo5 target's
	# tests (ci/build-solo5.sh).
	packages+=(build-essential libclang-rt-14-dev jq libxml2-utils afl++ libseccomp-dev)
fi
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -q
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if $conform_only; then
	ninja -C "$build" hcfuzz
else
	ninja -C "$build"
fi
echo "setup: built $build/hcfuzz"
