#!/usr/bin/env bash
# check_layers.sh: every project include goes down the data flow, never up.
#
# The stages, lowest first (CMakeLists.txt builds one library each): util,
# spec, prog, vmm, target, oracles, exec, outputs (reports and fuzzing) and,
# beside them, learn; cli.
# A file may include its own stage's headers and those of the stages below;
# guests/include/hcf_proto.h (no folder) is below them all. This catches what
# the linker cannot: a header used against the flow without a call.
set -u
src=${HCF_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$src"

# folder -> the include folders it may use
declare -A allowed=(
	[harness/util]="util"
	[harness/spec]="util spec"
	[harness/prog]="util spec prog"
	[harness/vmm]="util vmm"
	[harness/target]="util spec prog vmm target"
	[harness/nested]="util spec prog vmm target"
	[oracles]="util spec prog vmm target oracles"
	[oracles/models]="util spec prog vmm target oracles"
	[harness/exec]="util spec prog vmm target oracles exec"
	[reports]="util spec prog vmm target oracles exec reports fuzz"
	[harness/fuzz]="util spec prog vmm target oracles exec reports fuzz"
	[harness/learn]="util spec prog vmm target oracles exec learn"
)

bad=0
for dir in "${!allowed[@]}"; do
	for f in "$dir"/*.c "$dir"/*.h; do
		[ -e "$f" ] || continue
		while IFS= read -r line; do
			inc=${line#*\"}
			inc=${inc%%\"*}
			case "$inc" in
			*/*) ;;
			*) continue ;; # hcf_proto.h and friends: below every stage
			esac
			top=${inc%%/*}
			ok=0
			for a in ${allowed[$dir]}; do
				[ "$top" = "$a" ] && ok=1
			done
			if [ $ok = 0 ]; then
				echo "$f: includes \"$inc\": $top is above $dir in the data flow"
				bad=1
			fi
		done < <(grep -h '^#include "' "$f")
	done
done
if [ $bad = 0 ]; then
	echo "ok - every include goes down the data flow"
fi
exit $bad
