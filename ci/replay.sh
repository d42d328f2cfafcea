#!/usr/bin/env bash
# replay.sh: regression replay of every spec's corpora: what a hypervisor
# project's CI calls.
#
#   ci/replay.sh [HCFUZZ]        HCFUZZ defaults to build/hcfuzz
#
# For each specs/NAME.yaml with a corpus/NAME/ (seeds and regression): replay
# it on the hypervisor behind /dev/kvm when that is the one the spec
# describes (hcfuzz detect): a conformance result. Otherwise replay it on the
# spec's reference model: only a self-check that the corpus still decodes and
# that spec, model and oracles agree with each other, never a conformance
# result; the line and the reports say so. JUnit XML per spec in
# out/replay-NAME/. Exits non-zero if any replay did.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
hcfuzz=${1:-$root/build/hcfuzz}
[ -x "$hcfuzz" ] || { echo "replay: $hcfuzz not built (ci/setup.sh)" >&2; exit 2; }

detected=$("$hcfuzz" detect 2>/dev/null | head -n1 | cut -d' ' -f1)
[ -n "$detected" ] || detected="none (no usable /dev/kvm)"
status=0
for spec in "$root"/specs/*.yaml; do
	name=$(basename "$spec" .yaml)
	corpus=$root/corpus/$name
	[ -d "$corpus" ] || continue
	if [ "$name" = "$detected" ]; then
		target=kvm
		why="conformance, on the $detected hypervisor behind /dev/kvm"
	else
		target=model
		why="self-check on the reference model (decoder, spec and oracles; not a conformance result): /dev/kvm here is $detected, not $name"
	fi
	echo "replay: $name $why"
	"$hcfuzz" replay --spec "$spec" --target "$target" --out "$root/out/replay-$name" -q "$corpus"
	rc=$?
	[ $rc = 0 ] || { echo "replay: $name failed (exit $rc)"; status=1; }
done
exit $status
