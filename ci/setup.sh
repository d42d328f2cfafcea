#!/usr/bin/env bash
# setup.sh: install hcfuzz's Debian 12 dependencies (if missing) and build it.
#
#   ci/setup.sh [BUILD_DIR]      default BUILD_DIR: build (next to this repo's root)
#
# Installs with apt-get only what is missing, so it is quick on a machine that
# has everything; uses sudo when not run as root. The build is CMake + Ninja
# with clang-14 and leaves the command-line tool at BUILD_DIR/hcfuzz.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}

# Everything comes from Debian's archive. clang-14 because Debian's AFL++ is
# built for LLVM 14; libclang-rt-14-dev holds the libFuzzer and sanitizer
# runtimes (only a Recommends of clang, so it is named here). libseccomp-dev
# builds Solo5's tender for the solo5 target's tests (ci/build-solo5.sh).
packages=(
	build-essential cmake ninja-build pkg-config clang-14 libclang-rt-14-dev
	libyaml-dev libjansson-dev libcmocka-dev jq libxml2-utils afl++ libseccomp-dev
)
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
ninja -C "$build"
echo "setup: built $build/hcfuzz"
