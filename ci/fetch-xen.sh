#!/usr/bin/env bash
# fetch-xen.sh: Debian's Xen hypervisor for the Xen targets, in a cache, not
# installed.
#
#   ci/fetch-xen.sh CACHE        (the build does it: ninja -C build xen)
#
# Downloads the package xen-hypervisor-4.17-amd64 with apt-get download,
# verifies it (dpkg-deb), unpacks it into CACHE/root and leaves CACHE/xen,
# the hypervisor uncompressed (an ELF QEMU boots with -kernel through its
# multiboot header; dom0 is the -initrd). Exit 3 when the package archive
# cannot be reached.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: ci/fetch-xen.sh CACHE" >&2; exit 2; }
mkdir -p "$1/debs" "$1/root"
cache=$(cd "$1" && pwd)
pkg=xen-hypervisor-4.17-amd64
here=$(cd "$(dirname "$0")" && pwd)
"$here/fetch-debs.sh" --no-deps "$cache" "$pkg" >/dev/null
deb=$(ls "$cache/debs/${pkg}"_*.deb | head -n1)
gz=$(ls "$cache"/root/boot/xen-*-amd64.gz | head -n1)
if [ ! -s "$cache/xen" ] || [ "$gz" -nt "$cache/xen" ]; then
	gzip -dc "$gz" >"$cache/xen.tmp"
	mv "$cache/xen.tmp" "$cache/xen"
fi
echo "fetch-xen: $(basename "$deb" .deb): $(basename "$gz" .gz)"
