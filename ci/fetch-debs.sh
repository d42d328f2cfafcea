#!/usr/bin/env bash
# fetch-debs.sh: Debian packages into a cache folder, unpacked, never installed.
#
#   ci/fetch-debs.sh [--no-deps] CACHE PACKAGE...
#
# Downloads each PACKAGE and, one Depends level at a time, every dependency
# this host does not have installed (an alternative group is satisfied when
# any of its packages is installed; else its first is taken), with
# `apt-get download` into CACHE/debs. Every .deb is verified by dpkg-deb
# (a truncated or foreign file is deleted and fetched again) and unpacked
# into CACHE/root. Packages already in CACHE/debs are not fetched again.
# With --no-deps, only the PACKAGEs, fetched even when this host has them
# installed: the caller wants their files (a kernel, a hypervisor), not
# what they need to run here.
# Exit 0 when all are there; 3 when the package archive cannot be reached
# (what is missing is said), so that callers can SKIP with the reason.
set -euo pipefail
no_deps=0
if [ "${1:-}" = --no-deps ]; then
	no_deps=1
	shift
fi
[ $# -ge 2 ] || { echo "usage: ci/fetch-debs.sh [--no-deps] CACHE PACKAGE..." >&2; exit 2; }
cache=$1
shift
mkdir -p "$cache/debs" "$cache/root"
cache=$(cd "$cache" && pwd)

# What this host has installed, asked once.
installed_list=$(mktemp)
trap 'rm -f "$installed_list"' EXIT
dpkg-query -W -f='${Package} ${Status}\n' 2>/dev/null | awk '/install ok installed/ { print $1 }' \
	>"$installed_list"

installed() {
	grep -qx -- "$1" "$installed_list"
}

# The Depends of packages, one name per group, none for a satisfied group.
depends() {
	apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
		--no-replaces --no-enhances "$@" 2>/dev/null | awk -v list="$installed_list" '
		BEGIN { while ((getline l < list) > 0) inst[l] = 1 }
		function flush() { if (n && !sat) print first; n = 0; sat = 0 }
		/^  \|?(Pre)?Depends: / {
			alt = ($1 ~ /^\|/)
			name = $2
			if (name ~ /^</) { if (!alt) flush(); next }   # virtual: no package of its own
			if (!n) first = name
			n++
			sub(/:any$/, "", name)
			if (name in inst) sat = 1
			if (!alt) flush()
		}
		END { flush() }'
}

have_deb() {
	local f
	for f in "$cache/debs/$1"_*.deb; do
		[ -e "$f" ] || return 1
		if dpkg-deb --info "$f" >/dev/null 2>&1; then
			return 0
		fi
		echo "fetch-debs: $f is not a readable package; fetching it again" >&2
		rm -f "$f"
		return 1
	done
	return 1
}

declare -A seen=()
level=("$@")
fetched=0
# Breadth first, one apt-cache call per level of the dependency tree.
while [ ${#level[@]} -gt 0 ]; do
	todo=()
	for p in "${level[@]}"; do
		p=${p%%:*}
		[ -n "${seen[$p]:-}" ] && continue
		seen[$p]=1
		[ $no_deps = 0 ] && installed "$p" && continue
		todo+=("$p")
	done
	[ ${#todo[@]} -gt 0 ] || break
	get=()
	for p in "${todo[@]}"; do
		have_deb "$p" || get+=("$p")
	done
	if [ ${#get[@]} -gt 0 ]; then
		if ! (cd "$cache/debs" && apt-get download -q "${get[@]}" >/dev/null 2>"$cache/debs/.err"); then
			echo "fetch-debs: cannot download ${get[*]}: $(grep -v '^W:' "$cache/debs/.err" | tail -1)" >&2
			exit 3
		fi
		for p in "${get[@]}"; do
			have_deb "$p" || { echo "fetch-debs: $p downloaded but unreadable" >&2; exit 3; }
		done
		fetched=$((fetched + ${#get[@]}))
	fi
	if [ $no_deps = 1 ]; then
		break
	fi
	mapfile -t level < <(depends "${todo[@]}" | sort -u)
done
rm -f "$cache/debs/.err"
for f in "$cache"/debs/*.deb; do
	stamp="$cache/root/.unpacked-$(basename "$f")"
	[ -e "$stamp" ] && continue
	dpkg-deb -x "$f" "$cache/root"
	touch "$stamp"
done
echo "fetch-debs: $(ls "$cache"/debs/*.deb | wc -l) packages in $cache/debs ($fetched fetched now)"
