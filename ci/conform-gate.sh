#!/usr/bin/env bash
# conform-gate.sh: the check a hypervisor project's CI runs on a new build.
#
#   ci/conform-gate.sh --baseline FILE [--out DIR] [HCFUZZ CONFORM OPTIONS...]
#   ci/conform-gate.sh --save FILE [HCFUZZ CONFORM OPTIONS...]
#
# --baseline: conformance of the build under test against FILE, a baseline
# saved from the last accepted build (same spec, same plan options). Every
# difference outside the spec's declared nondeterminism fails the gate; the
# JUnit file DIR/differences.xml has one failed test case per difference
# (for the CI's test view), DIR/junit.xml the verdicts, DIR/summary.md both.
# --save: run the same conformance and save FILE, to accept a build.
# The options after these go to `hcfuzz conform` as they are (--spec,
# --target, --target-opt, --transport, --seed, --skip ...).
#
# Exit codes: 0 the build matches its baseline and every verdict passes;
# 9 results differ from the baseline; otherwise hcfuzz's (docs/verdicts.md):
# 2 usage (also a baseline of another spec or plan), 3 SKIP, 4 ERROR,
# 5 FAIL, 6 HANG, 7 CRASH, 8 XPASS.
# The hcfuzz binary: $HCFUZZ, else build/hcfuzz next to this script, else PATH.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
hcfuzz=${HCFUZZ:-}
[ -n "$hcfuzz" ] || { [ -x "$root/build/hcfuzz" ] && hcfuzz=$root/build/hcfuzz; } || hcfuzz=hcfuzz

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }

mode="" file="" out=out/conform-gate
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--baseline) mode=compare file=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	--save) mode=save file=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	--out) out=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	-h | --help) usage; exit 0 ;;
	*) args+=("$1"); shift ;;
	esac
done
if [ -z "$mode" ] || [ -z "$file" ]; then
	usage >&2
	exit 2
fi

if [ "$mode" = save ]; then
	"$hcfuzz" conform --out "$out" --save-baseline "$file" "${args[@]}"
	rc=$?
	if [ -f "$file" ]; then
		echo "conform-gate: baseline saved to $file (exit $rc of the run)"
	else
		echo "conform-gate: no baseline saved (exit $rc)" >&2
	fi
	exit $rc
fi

[ -r "$file" ] || { echo "conform-gate: cannot read baseline $file" >&2; exit 2; }
"$hcfuzz" conform --out "$out" --baseline "$file" "${args[@]}"
rc=$?
if [ -f "$out/differences.jsonl" ]; then
	n=$(wc -l <"$out/differences.jsonl")
	echo "conform-gate: $n difference(s) from $file; JUnit: $out/differences.xml," \
		"verdicts: $out/junit.xml, summary: $out/summary.md"
fi
case $rc in
0) echo "conform-gate: PASS: the build matches its baseline" ;;
9) echo "conform-gate: FAIL: results differ from the baseline" >&2 ;;
*) echo "conform-gate: FAIL: hcfuzz conform exited $rc (docs/verdicts.md)" >&2 ;;
esac
exit $rc
