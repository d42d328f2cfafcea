#!/usr/bin/env bash
# build-solo5.sh: Solo5's hvt tender, built from a Solo5 source tarball into
# a cache, for the solo5 target's tests (users name their own tender).
#
#   ci/build-solo5.sh CACHE [TARBALL]
#
# TARBALL defaults to $HCF_SOLO5_TARBALL, else the first solo5-*.tar.gz in a
# shared/third_party folder beside this repository or beside one of its
# parent folders (a clone may sit deeper than the checkout it came from). Unpacks it into CACHE/src, runs its configure.sh
# and make (Debian's libseccomp-dev: ci/setup.sh installs it) and leaves
# CACHE/solo5-hvt. Exit 3 when there is no tarball: the tests are then SKIP.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: ci/build-solo5.sh CACHE [TARBALL]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$1"
cache=$(cd "$1" && pwd)
# tests that run side by side share the cache: one builds, the others wait
exec 9>"$cache/.lock"
flock 9
tarball=${2:-${HCF_SOLO5_TARBALL:-}}
dir=$root
while [ -z "$tarball" ] && [ "$dir" != / ]; do
	dir=$(dirname "$dir")
	tarball=$(ls "$dir"/shared/third_party/solo5-*.tar.gz 2>/dev/null | head -n1 || true)
done
[ -n "$tarball" ] && [ -f "$tarball" ] || { echo "build-solo5: no Solo5 source tarball" >&2; exit 3; }
stamp=$cache/stamp
if [ -x "$cache/solo5-hvt" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(basename "$tarball")" ] &&
	[ "$cache/solo5-hvt" -nt "$tarball" ]; then
	echo "build-solo5: $(basename "$tarball" .tar.gz) (cached)"
	exit 0
fi
rm -rf "$cache/src" && mkdir -p "$cache/src"
tar -xzf "$tarball" -C "$cache/src" --strip-components=1
(cd "$cache/src" && ./configure.sh >"$cache/build.log" 2>&1 &&
	make -j2 -C tenders/hvt >>"$cache/build.log" 2>&1 || make -j2 >>"$cache/build.log" 2>&1) ||
	{ tail -20 "$cache/build.log" >&2; echo "build-solo5: the build failed ($cache/build.log)" >&2; exit 1; }
cp "$cache/src/tenders/hvt/solo5-hvt" "$cache/solo5-hvt.tmp"
mv "$cache/solo5-hvt.tmp" "$cache/solo5-hvt"
basename "$tarball" >"$stamp"
echo "build-solo5: $(basename "$tarball" .tar.gz): $cache/solo5-hvt"
