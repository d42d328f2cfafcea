#!/usr/bin/env bash
# fuzz-parsers.sh: run the parser fuzz targets (tests/fuzz) of a build made
# with -DHCF_PARSER_FUZZERS=ON, one after the other, nice'd.
#
#   ci/fuzz-parsers.sh --setup [DIR]
#   ci/fuzz-parsers.sh [--build DIR] [--work WDIR] [SECONDS] [-runs=N] [TARGET...]
#
# DIR defaults to build-fuzz (--setup configures and builds it); each target
# runs for SECONDS, or N executions, whichever comes first (60 s when
# neither is given); TARGET to all of them (spec,
# spec_fastabi, prog_text, codec, finding, campaign, mailbox). Each target's
# corpus grows in WDIR/corpus/TARGET across runs, starting from the seeds
# the build made (DIR/fuzz-parsers/seeds/TARGET); its log is
# WDIR/logs/TARGET.log, anything it finds WDIR/artifacts/TARGET-*. WDIR is
# DIR/fuzz-parsers unless given (ctest's short runs use one of their own).
# While a target runs, a live status line on stderr (in place on a terminal,
# every 30 s in a log) says how far it is; then one line per target:
# executions, time, exec/s, corpus, cov/ft. Exits non-zero when any target
# found a crash, leak, UB or hang.
# The long runs of docs/fuzzing.md: ci/fuzz-parsers.sh -runs=10000000.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
if [ "${1:-}" = --setup ]; then
	build=${2:-$build}
	cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DHCF_PARSER_FUZZERS=ON >/dev/null
	exec ninja -C "$build" $(cd "$root/tests/fuzz" && ls fuzz_*.c | grep -v common | sed 's/\.c$//') \
		fuzz-parser-seeds
fi
work=
while [ $# -gt 1 ]; do
	case "$1" in
	--build) build=$2 ;;
	--work) work=$2 ;;
	*) break ;;
	esac
	shift 2
done
limit=()
max_runs=
max_secs=
while [ $# -gt 0 ]; do
	case "$1" in
	-runs=*) limit+=("$1"); max_runs=${1#-runs=} ;;
	[0-9]*) limit+=(-max_total_time="$1"); max_secs=$1 ;;
	*) break ;;
	esac
	shift
done
[ ${#limit[@]} -gt 0 ] || { limit=(-max_total_time=60); max_secs=60; }
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(spec spec_fastabi prog_text codec finding campaign mailbox)

dir=$build/fuzz-parsers
work=${work:-$dir}
export HCF_SOURCE_DIR=${HCF_SOURCE_DIR:-$root}
# leaks are findings; UB stops the run like a crash
# (no allocation stacks and a small quarantine: a fifth of the time goes there;
# rerun an artifact with ASAN_OPTIONS=detect_leaks=1 for the stacks)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:malloc_context_size=0:quarantine_size_mb=16}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$work/logs" "$work/artifacts"
# The longest input per target: room for what its seeds hold (a spec's
# header and some calls, a program of the codec's 32 calls, a campaign's
# files), small enough to keep every execution cheap.
declare -A max_len=([spec]=4096 [spec_fastabi]=4096 [prog_text]=2048 [codec]=1024 [finding]=2048
		    [campaign]=4096 [mailbox]=2048)
# The live status line of target $1 while its fuzzer writes $2, started at
# $3: its last progress line, every 2 s; ends with this script.
progress() {
	local t=$1 log=$2 start=$3 last=$3 line n rate cov left now msg
	while kill -0 $$ 2>/dev/null; do
		# (a sleep left behind by the kill below must not hold the output open)
		sleep 2 < /dev/null > /dev/null 2>&1
		line=$(tail -c 4096 "$log" 2>/dev/null | tr -d '\0' | grep -aE '^#[0-9]+' | tail -1) || true
		[ -n "$line" ] || continue
		n=${line%%[!#0-9]*}
		n=${n#\#}
		rate=$(sed -n 's/.* exec\/s: \([0-9]*\).*/\1/p' <<< "$line")
		cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1 ft \2 corpus \3/p' <<< "$line")
		now=$(date +%s)
		left=
		if [ -n "$max_runs" ] && [ "${rate:-0}" -gt 0 ] && [ "$n" -lt "$max_runs" ]; then
			left=$(((max_runs - n) / rate))
		fi
		if [ -n "$max_secs" ] && { [ -z "$left" ] || [ $((start + max_secs - now)) -lt "$left" ]; }; then
			left=$((start + max_secs - now))
		fi
		msg="fuzz_$t: $n executions${max_runs:+ of $max_runs}, ${rate:-?} exec/s, ${cov:-?}"
		if [ -n "$left" ] && [ "$left" -ge 120 ]; then
			msg+=", about $(((left + 59) / 60)) min to go"
		elif [ -n "$left" ] && [ "$left" -ge 0 ]; then
			msg+=", about $left s to go"
		fi
		if [ -t 2 ]; then
			printf '\r\033[K%s' "${msg:0:118}" >&2
		elif [ $((now - last)) -ge 30 ]; then
			printf '%s\n' "$msg" >&2
			last=$now
		fi
	done
}

failed=0
for t in "${targets[@]}"; do
	bin=$dir/fuzz_$t
	if [ ! -x "$bin" ] || [ ! -d "$dir/seeds/$t" ]; then
		echo "fuzz_$t: not built in $build (ci/fuzz-parsers.sh --setup $build)" >&2
		exit 2
	fi
	mkdir -p "$work/corpus/$t"
	dict=()
	[ ! -f "$dir/dict/$t.dict" ] || dict=(-dict="$dir/dict/$t.dict")
	log=$work/logs/$t.log
	start=$(date +%s)
	rc=0
	# -reload=0: one process per corpus, nothing to pick up from it (the default
	# lists and stats the whole corpus every second: 2 to 5% of the time)
	: > "$log"
	progress "$t" "$log" "$start" &
	shown=$!
	nice -n 19 "$bin" "${limit[@]}" "${dict[@]}" -rss_limit_mb=2048 -timeout=10 -max_len="${max_len[$t]:-4096}" \
		-reload=0 \
		-print_final_stats=1 -artifact_prefix="$work/artifacts/$t-" \
		"$work/corpus/$t" "$dir/seeds/$t" > "$log" 2>&1 || rc=$?
	kill "$shown" 2>/dev/null || true
	wait "$shown" 2>/dev/null || true
	[ ! -t 2 ] || printf '\r\033[K' >&2
	secs=$(($(date +%s) - start))
	text=$(tr -d '\0' < "$log")
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' <<< "$text")
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' <<< "$text")
	last=$(grep -E '^#[0-9]+' <<< "$text" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/cov \1 ft \2 corpus \3/p' <<< "$last")
	if [ $rc -ne 0 ]; then
		failed=1
		echo "fuzz_$t: FAILED (exit $rc) after ${runs:-?} executions, ${secs} s; see $log and $work/artifacts/"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|hcfuzz parser fuzzing)' <<< "$text" | head -5 || true
	else
		echo "fuzz_$t: ${runs:-?} executions in ${secs} s (${eps:-?} exec/s), ${cov:-?}, 0 crashes"
	fi
done
exit $failed
