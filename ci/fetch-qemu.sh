#!/usr/bin/env bash
# fetch-qemu.sh: Debian's QEMU for the qemu target, in a cache, not installed.
#
#   ci/fetch-qemu.sh CACHE        (the build does it: ninja -C build qemu)
#
# Leaves CACHE/qemu-system-x86_64, which runs QEMU from the unpacked
# packages (its libraries, modules and firmware from CACHE/root), or the
# host's own when qemu-system-x86 is installed. Exit 3 when the package
# archive cannot be reached: the qemu target then says it cannot run.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: ci/fetch-qemu.sh CACHE" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
cache=$(cd "$1" && pwd)
wrapper=$cache/qemu-system-x86_64
if dpkg-query -W -f='${Status}' qemu-system-x86 2>/dev/null | grep -q "install ok installed"; then
	cat >"$wrapper.tmp" <<'W'
#!/bin/sh
# the host's own QEMU (qemu-system-x86 is installed here)
exec /usr/bin/qemu-system-x86_64 "$@"
W
else
	"$here/fetch-debs.sh" "$cache" qemu-system-x86 qemu-system-common qemu-system-data seabios
	root=$cache/root
	cat >"$wrapper.tmp" <<W
#!/bin/sh
# Debian's QEMU unpacked in this cache by ci/fetch-qemu.sh (not installed)
r='$root'
LD_LIBRARY_PATH="\$r/usr/lib/x86_64-linux-gnu:\$r/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" \\
QEMU_MODULE_DIR="\$r/usr/lib/x86_64-linux-gnu/qemu" \\
exec "\$r/usr/bin/qemu-system-x86_64" -L "\$r/usr/share/qemu" -L "\$r/usr/share/seabios" "\$@"
W
fi
chmod +x "$wrapper.tmp"
mv "$wrapper.tmp" "$wrapper"
"$wrapper" --version | head -1
