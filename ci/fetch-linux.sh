#!/usr/bin/env bash
# fetch-linux.sh: Debian's kernel and its KVM modules, in a cache, not installed.
#
#   ci/fetch-linux.sh CACHE
#
# Resolves the kernel package linux-image-amd64 points at today (it moves:
# 6.1.0-56 in 2026-11, 6.1.0-57 in 2026-12), downloads it with apt-get
# download, verifies it (dpkg-deb) and unpacks it into CACHE/root. Leaves
# CACHE/vmlinuz (the kernel), CACHE/vmlinux (the same, uncompressed, an ELF
# QEMU boots through its PVH note) and CACHE/kvm-modules, the modules /dev/kvm
# needs on an AMD CPU (QEMU TCG's -cpu max offers SVM, not VMX), one path per
# line in the order to load them (each after what its .modinfo depends on).
# For the kvm-nested target (docs/targets.md). Exit 3 when the package
# archive cannot be reached.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: ci/fetch-linux.sh CACHE" >&2; exit 2; }
mkdir -p "$1/debs" "$1/root"
cache=$(cd "$1" && pwd)

pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/^  Depends: linux-image-/ { print $2; exit }')
if [ -z "$pkg" ]; then
	echo "fetch-linux: linux-image-amd64 names no kernel package (no package lists?)" >&2
	exit 3
fi
here=$(cd "$(dirname "$0")" && pwd)
"$here/fetch-debs.sh" --no-deps "$cache" "$pkg" >/dev/null
deb=$(ls "$cache/debs/${pkg}"_*.deb | head -n1)
version=${pkg#linux-image-}
ln -sf "root/boot/vmlinuz-$version" "$cache/vmlinuz"
# The kernel uncompressed, for QEMU's PVH entry (the ELF note Debian's
# CONFIG_PVH puts there): decompressing the bzImage's xz payload takes TCG
# about 9 s of the 15 a boot to /dev/kvm takes otherwise.
if [ ! -s "$cache/vmlinux-$version" ]; then
	rm -f "$cache"/vmlinux-*
	for magic in '\xfd7zXZ\x00:xz -dc' '\x1f\x8b\x08:gzip -dc' '\x28\xb5\x2f\xfd:zstd -dcq'; do
		for off in $(LC_ALL=C grep -obUaP "${magic%%:*}" "$cache/vmlinuz" | cut -d: -f1); do
			tail -c +$((off + 1)) "$cache/vmlinuz" | ${magic#*:} >"$cache/vmlinux.tmp" 2>/dev/null || true
			if [ "$(head -c 4 "$cache/vmlinux.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
				mv "$cache/vmlinux.tmp" "$cache/vmlinux-$version"
				break 2
			fi
		done
	done
	rm -f "$cache/vmlinux.tmp"
fi
if [ -s "$cache/vmlinux-$version" ]; then
	ln -sf "vmlinux-$version" "$cache/vmlinux"
else
	rm -f "$cache/vmlinux"
	echo "fetch-linux: no uncompressed kernel in $pkg's vmlinuz: the bzImage boots, slower" >&2
fi
moddir=$cache/root/lib/modules/$version/kernel
# the load order of this package's modules, worked out once
done_for="$cache/.kvm-modules-$(basename "$deb")"
if [ -e "$done_for" ] && [ -s "$cache/kvm-modules" ]; then
	echo "fetch-linux: $pkg (cached); modules: $(xargs -n1 basename <"$cache/kvm-modules" | sed 's/\.ko$//' | tr '\n' ' ')"
	exit 0
fi

# What a module depends on, from its .modinfo section.
depends() {
	objcopy -O binary --only-section=.modinfo "$1" /dev/stdout 2>/dev/null | tr '\0' '\n' |
		sed -n 's/^depends=//p' | tr ',' ' '
}
declare -A path=() done=()
while IFS= read -r f; do
	n=$(basename "$f" .ko)
	path[$n]=$f
done < <(find "$moddir" -name '*.ko')
order=()
visit() {
	local m=$1 d
	[ -n "${done[$m]:-}" ] && return
	[ -n "${path[$m]:-}" ] || { echo "fetch-linux: module $m not in $pkg" >&2; exit 1; }
	done[$m]=1
	for d in $(depends "${path[$m]}"); do
		visit "$d"
	done
	order+=("${path[$m]}")
}
visit kvm-amd
printf '%s\n' "${order[@]}" >"$cache/kvm-modules"
rm -f "$cache"/.kvm-modules-*
touch "$done_for"
echo "fetch-linux: $pkg; modules: $(for m in "${order[@]}"; do basename "$m" .ko; done | tr '\n' ' ')"
