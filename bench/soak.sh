#!/usr/bin/env bash
# soak.sh: a long fuzzing campaign on /dev/kvm, watched for leaks, killed -9 half way and resumed.
#
#   bench/soak.sh [EXECS] [DIR]
#   bench/soak.sh --verdict DIR     (the samples of an earlier soak judged again)
#
# Runs `hcfuzz fuzz` (HCFUZZ, default build/hcfuzz; SPEC, default
# specs/pvm.yaml; JOBS, default 1) on DIR (default a new directory under
# /tmp) until the campaign has made EXECS executions (default 1000000).
# Every INTERVAL seconds (default 5) it samples, from /proc, the RSS, the
# open file descriptors and the threads of the campaign's orchestrator and of
# every process below it (the engines) into DIR/soak/samples.csv. When half
# the executions are done it stops the campaign's processes (SIGSTOP: what
# is on disk then is what the kill leaves), lists the findings and the
# corpus, kills the campaign with SIGKILL, checks that no engine outlived it
# and resumes the campaign on DIR; at the end it checks that every finding
# and corpus entry listed before the kill is still there and whole (a
# finding's finding.json non-empty, a corpus entry's SHA-1 its name, as
# libFuzzer names them). It prints each sampled quantity's min and max per
# role and per run, and a verdict: flat when, in each run after its first
# minute (WARMUP seconds), the median RSS of the last quarter of the samples
# is within 10% (or 8 MiB) of the first quarter's, and the median file
# descriptors and threads of the two quarters differ by at most 2 (a VM torn
# down on a thread of its own holds a thread and its fds for a moment).
# Exit 0 when nothing was lost and everything stayed flat, 1 otherwise,
# 77 when it cannot run here.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
execs=${1:-1000000}
dir=${2:-$(mktemp -d /tmp/hcf-soak-XXXXXX)/camp}
hcfuzz=${HCFUZZ:-$src/build/hcfuzz}
spec=${SPEC:-$src/specs/pvm.yaml}
jobs=${JOBS:-1}
interval=${INTERVAL:-5}
warmup=${WARMUP:-60} # seconds of a run left out of the flatness verdict

csv=$dir/soak/samples.csv

# The campaign's executions so far: the last row of stats.csv (HCF_CS_EXECS,
# the third column, summed over every engine of every run).
campaign_execs() {
	tail -n 1 "$dir/stats.csv" 2>/dev/null |
		awk -F, '$3 ~ /^[0-9]+$/ { n = $3 } END { print n + 0 }'
}

# pid and every process below it, one per line.
tree() {
	echo "$1"
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		tree "$c"
	done
}

# One sample of every process of the campaign rooted at $1 (run $2, started at $3).
sample() {
	local now n p role rss fds thr
	now=$(date +%s)
	n=$(campaign_execs)
	for p in $(tree "$1"); do
		[ -r "/proc/$p/status" ] || continue
		role=engine
		[ "$p" = "$1" ] && role=orchestrator
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		thr=$(awk '/^Threads:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		fds=$(ls "/proc/$p/fd" 2>/dev/null | wc -l)
		[ -n "$rss" ] && [ -n "$thr" ] || continue
		echo "$now,$2,$((now - $3)),$n,$role,$p,$rss,$fds,$thr" >>"$csv"
	done
}

# Start a run of the campaign in the background: its pid in $camp.
start() {
	"$hcfuzz" fuzz --spec "$spec" --jobs "$jobs" --out "$dir" -q --no-minimize \
		>>"$dir/soak/run$1.log" 2>&1 &
	camp=$!
	started=$(date +%s)
}

# Sample the run until the campaign's executions reach $2 or it ends.
watch_until() {
	while kill -0 "$camp" 2>/dev/null; do
		sample "$camp" "$1" "$started"
		[ "$(campaign_execs)" -ge "$2" ] && return 0
		sleep "$interval"
	done
	echo "soak: run $1 ended by itself at $(campaign_execs) executions; see $dir/soak/run$1.log"
	return 1
}

# What must survive: every finding (its finding.json) and corpus entry, by name.
listing() {
	{
		ls "$dir/findings" 2>/dev/null | sed 's|^|finding |'
		ls "$dir/corpus" 2>/dev/null | sed 's|^|corpus |'
	} | sort
}

# The samples judged: min and max per run and role, and whether each stayed
# flat (see the top). Exit 0 when all did.
verdict() {
	awk -F, -v warmup="$warmup" '
function median(arr, key, from, to,    m, i, j, t, v) {
	m = 0
	for (i = from; i <= to; i++)
		v[++m] = arr[key, i]
	for (i = 1; i <= m; i++)
		for (j = i + 1; j <= m; j++)
			if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
}
function apart(a, b) { return a - b > 2 || b - a > 2 }
NR == 1 { next }
{
	k = $2 "," $5
	keys[k] = 1
	for (i = 7; i <= 9; i++) {
		if (!(k SUBSEP i in min) || $i < min[k, i]) min[k, i] = $i
		if (!(k SUBSEP i in max) || $i > max[k, i]) max[k, i] = $i
	}
	if ($3 >= warmup) { n[k]++; rss[k, n[k]] = $7; fd[k, n[k]] = $8; th[k, n[k]] = $9 }
}
END {
	printf "%-4s %-13s %21s %13s %13s\n", "run", "role", "RSS KiB min..max", "fds min..max", "threads"
	flat = 1; judged = 0; nk = 0
	for (k in keys) order[++nk] = k
	for (i = 1; i <= nk; i++)
		for (j = i + 1; j <= nk; j++)
			if (order[j] < order[i]) { t = order[i]; order[i] = order[j]; order[j] = t }
	for (o = 1; o <= nk; o++) {
		k = order[o]
		split(k, f, ",")
		printf "%-4s %-13s %10d..%-10d %6d..%-6d %6d..%-6d\n", f[1], f[2], min[k, 7], max[k, 7],
		       min[k, 8], max[k, 8], min[k, 9], max[k, 9]
		m = n[k]
		if (m < 8) { printf "     (too few samples after the first %d s to judge)\n", warmup; continue }
		q = int(m / 4)
		ra = median(rss, k, 1, q); rb = median(rss, k, m - q + 1, m)
		fa = median(fd, k, 1, q); fb = median(fd, k, m - q + 1, m)
		ta = median(th, k, 1, q); tb = median(th, k, m - q + 1, m)
		judged++
		what = "flat"
		if ((rb - ra > 0.10 * ra && rb - ra > 8192) || apart(fa, fb) || apart(ta, tb)) {
			flat = 0
			what = "NOT FLAT"
		}
		printf "     %s: medians of the first and last quarter of %d samples: ", what, m
		printf "RSS %d -> %d KiB, fds %d -> %d, threads %d -> %d\n", ra, rb, fa, fb, ta, tb
	}
	if (!judged) { print "soak: verdict: NOT JUDGED (no run lasted long enough)"; exit 1 }
	print flat ? "soak: verdict: FLAT" : "soak: verdict: NOT FLAT"
	exit !flat
}' "$1"
}

if [ "$execs" = --verdict ]; then
	verdict "$csv"
	exit
fi
[ -x "$hcfuzz" ] || { echo "SKIP soak: no hcfuzz at $hcfuzz (set HCFUZZ)"; exit 77; }
[ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo "SKIP soak: /dev/kvm is not usable"; exit 77; }
mkdir -p "$dir/soak"
echo "unix,run,since_start,execs,role,pid,rss_kb,fds,threads" >"$csv"

echo "soak: $hcfuzz fuzz --spec $spec --jobs $jobs --out $dir to $execs executions"
start 1
watch_until 1 $((execs / 2)) || exit 1
procs=$(tree "$camp")
engines=$(echo "$procs" | tail -n +2)
# frozen first, so that the listing is what the kill leaves on disk
kill -STOP $procs 2>/dev/null
listing >"$dir/soak/before-kill.txt"
kill -9 "$camp"
kill -CONT $engines 2>/dev/null
wait "$camp" 2>/dev/null
at_kill=$(campaign_execs)
sleep 2
outlived=0
for e in $engines; do
	if kill -0 "$e" 2>/dev/null; then
		echo "soak: engine $e outlived the killed campaign"
		outlived=1
		kill -9 "$e" 2>/dev/null
	fi
done
nfind=$(grep -c '^finding' "$dir/soak/before-kill.txt")
ncorp=$(grep -c '^corpus' "$dir/soak/before-kill.txt")
echo "soak: killed -9 at $at_kill executions; $nfind findings, $ncorp corpus entries"

start 2
watch_until 2 "$execs" || exit 1
kill -INT "$camp"
wait "$camp"
rc=$?
listing >"$dir/soak/after-resume.txt"
echo "soak: resumed run stopped at $(campaign_execs) executions (exit $rc)"

# Nothing lost: every name listed before the kill is there after the resume,
# whole.
lost=0
while read -r kind name; do
	if ! grep -qx "$kind $name" "$dir/soak/after-resume.txt"; then
		echo "soak: LOST: $kind $name"
		lost=1
	elif [ "$kind" = finding ] && [ ! -s "$dir/findings/$name/finding.json" ]; then
		echo "soak: DAMAGED: finding $name has no finding.json"
		lost=1
	elif [ "$kind" = corpus ] && [ "$(sha1sum <"$dir/corpus/$name" | cut -d' ' -f1)" != "$name" ]; then
		echo "soak: DAMAGED: corpus entry $name does not hash to its name"
		lost=1
	fi
done <"$dir/soak/before-kill.txt"
[ "$lost" = 0 ] && echo "soak: nothing lost: all $nfind findings and $ncorp corpus entries" \
	"on disk at the kill are there after the resume, whole"

verdict "$csv"
flat=$?
echo "soak: samples in $csv"
[ "$lost" = 0 ] && [ "$flat" = 0 ] && [ "$outlived" = 0 ]
