# lib.sh: helpers for hcfuzz's shell integration tests (sourced).
#
# Each test exits 0 (pass), 1 (fail) or 77 (skip, with the reason printed).
set -u
: "${HCFUZZ:?HCFUZZ must name the hcfuzz binary}"
: "${HCF_SOURCE_DIR:?HCF_SOURCE_DIR must name the source tree}"
SRC=$HCF_SOURCE_DIR
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hcf-it.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; echo "kept for inspection: $TMP" >&2; trap - EXIT; exit 1; }
# Skip with the reason (exit 77). Where /dev/kvm exists and the run must have
# VM coverage (HCF_REQUIRE_VM=1, which .ci/run sets there), a test that would
# skip fails instead: a green run has run its VM tests.
skip() {
	if [ "${HCF_REQUIRE_VM:-0}" = 1 ] && [ -e /dev/kvm ]; then
		echo "FAIL: this test would skip, but HCF_REQUIRE_VM=1 and /dev/kvm exists: $*" >&2
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}
ok() { echo "ok - $*"; }

# Skip unless /dev/kvm can run VMs.
need_kvm() {
	[ -c /dev/kvm ] || skip "no /dev/kvm on this host"
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "/dev/kvm is not readable and writable for $(id -un)"
}

# The hypervisor hcfuzz detects behind /dev/kvm ("pvm", "kvm", ...).
detected_hypervisor() {
	"$HCFUZZ" conform --out "$TMP/detect" --no-undeclared --randoms 0 >/dev/null 2>"$TMP/detect.err" || true
	sed -n 's/.*detected \([a-z]*\), using.*/\1/p' "$TMP/detect.err" | head -n1
}

need_jq() { command -v jq >/dev/null || skip "jq is not installed"; }

# Run a command, capture its exit code in $rc without tripping set -e.
run() { set +e; "$@"; rc=$?; set -e; }

# Every finding of campaign DIR must have one of the signatures given
# (oracle|op|where|class): a finding nobody expected is a failure, listed.
only_findings() {
	local dir=$1 f sig bad=""
	shift
	for f in "$dir"/findings/*/finding.json; do
		[ -e "$f" ] || continue
		sig=$(jq -r .signature "$f")
		case " $* " in *" $sig "*) ;; *) bad="$bad
  $sig ($(jq -r .verdict "$f"): $(jq -r .reason "$f"))" ;; esac
	done
	[ -z "$bad" ] || fail "findings the misstated contract does not explain:$bad"
}

# Debian's packages for an external target (qemu, linux, xen: ci/fetch-WHAT.sh)
# into the build's cache, CACHE/WHAT. Without a reachable package archive
# (exit 3) the test is SKIP: that is not a missing VM, so HCF_REQUIRE_VM does
# not turn it into a failure.
CACHE=${HCF_BUILD_DIR:-$TMP}/cache
fetch_into_cache() {
	local what
	for what in "$@"; do
		run "$SRC/ci/fetch-$what.sh" "$CACHE/$what"
		if [ "$rc" = 3 ]; then
			echo "SKIP: Debian's $what cannot be fetched (no package archive reachable)"
			exit 77
		fi
		[ "$rc" = 0 ] || fail "ci/fetch-$what.sh failed ($rc)"
	done
}

# Solo5's tender built from the source tarball next to the repository into
# CACHE/solo5 (ci/build-solo5.sh); SKIP when there is no tarball. Sets TENDER.
build_solo5_into_cache() {
	run "$SRC/ci/build-solo5.sh" "$CACHE/solo5"
	if [ "$rc" = 3 ]; then
		echo "SKIP: no Solo5 source tarball to build the tender from (HCF_SOLO5_TARBALL)"
		exit 77
	fi
	[ "$rc" = 0 ] || fail "ci/build-solo5.sh failed ($rc)"
	TENDER=$CACHE/solo5/solo5-hvt
}

# The kvm-nested target (QEMU and Debian's kernel in the cache), or SKIP
# without a package archive; sets nested_opts, the options that aim an
# hcfuzz command at it.
need_kvm_nested() {
	fetch_into_cache qemu linux
	export HCF_QEMU=$CACHE/qemu/qemu-system-x86_64
	"$HCFUZZ" targets | grep -q '^kvm-nested  *yes' ||
		fail "hcfuzz targets does not list kvm-nested as runnable: $("$HCFUZZ" targets | grep -A1 kvm-nested)"
	nested_opts=(--target kvm-nested --target-opt "kernel=$CACHE/linux")
}

# Xen under QEMU TCG (Debian's Xen and QEMU in the cache), or SKIP without a
# package archive; sets xen, the option that gives a command aimed at xen-pv
# or xen-pvh that Xen build.
need_xen() {
	fetch_into_cache qemu xen
	export HCF_QEMU=$CACHE/qemu/qemu-system-x86_64
	xen=(--target-opt "xen=$CACHE/xen/xen")
}

# QEMU killed in the middle of a replay: run `hcfuzz replay --out DIR
# ARGS...` over NPROGS programs, kill its QEMU (by pid) once the first
# result is in, and check that the program QEMU served is the one CRASH,
# naming signal 9, and that every other program ran on a fresh QEMU and
# PASSed.
replay_kill_qemu() {
	local dir=$1 nprogs=$2 hcf qemu_pid=""
	shift 2
	"$HCFUZZ" replay --out "$dir" -q "$@" &
	hcf=$!
	for _ in $(seq 1 1200); do
		qemu_pid=$(pgrep -P "$hcf" | head -n1 || true)
		if [ -n "$qemu_pid" ] && [ -s "$dir/.results.jsonl.tmp.$hcf" ]; then break; fi
		sleep 0.05
	done
	[ -n "$qemu_pid" ] || fail "no QEMU under hcfuzz (pid $hcf)"
	kill -KILL "$qemu_pid"
	run wait "$hcf"
	[ "$rc" = 7 ] || fail "QEMU killed mid-run: expected CRASH (7), got $rc"
	[ "$(wc -l <"$dir/results.jsonl")" = "$nprogs" ] || fail "the run did not go on to every program"
	[ "$(jq -r 'select(.verdict == "CRASH") | .detail' "$dir/results.jsonl" | grep -c 'signal 9')" = 1 ] ||
		fail "not exactly one CRASH naming signal 9: $(jq -r .verdict "$dir/results.jsonl" | sort | uniq -c)"
	[ "$(jq -r 'select(.verdict != "CRASH") | .verdict' "$dir/results.jsonl" | sort -u)" = PASS ] ||
		fail "the other programs did not all PASS: $(jq -r .verdict "$dir/results.jsonl" | sort | uniq -c)"
}
