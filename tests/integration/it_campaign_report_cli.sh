#!/usr/bin/env bash
# it_campaign_report_cli.sh: "hcfuzz report DIR": exit codes, warnings, --quiet, and a write
# that fails leaving the previous report in place. No VM needed.
. "$(dirname "$0")/lib.sh"
set -e

run "$HCFUZZ" report --help > "$TMP/help.txt"
[ "$rc" = 0 ] || fail "report --help exit $rc"
grep -q "usage: hcfuzz report" "$TMP/help.txt" || fail "report --help prints no usage"
run "$HCFUZZ" --help > "$TMP/help.txt"
grep -q "^  report " "$TMP/help.txt" || fail "hcfuzz --help does not list report"

# usage errors and directories that are not campaigns: exit 2
run "$HCFUZZ" report 2> /dev/null
[ "$rc" = 2 ] || fail "no DIR: exit $rc"
run "$HCFUZZ" report --bogus "$TMP" 2> /dev/null
[ "$rc" = 2 ] || fail "unknown option: exit $rc"
mkdir "$TMP/a" "$TMP/b"
run "$HCFUZZ" report "$TMP/a" "$TMP/b" 2> /dev/null
[ "$rc" = 2 ] || fail "two DIRs: exit $rc"
run "$HCFUZZ" report "$TMP/no-such-dir" 2> "$TMP/err.txt"
[ "$rc" = 2 ] || fail "missing DIR: exit $rc"
grep -q "No such file or directory" "$TMP/err.txt" || fail "missing DIR: $(cat "$TMP/err.txt")"
run "$HCFUZZ" report "$TMP/a" 2> "$TMP/err.txt"
[ "$rc" = 2 ] || fail "empty DIR: exit $rc"
grep -q "not a campaign directory" "$TMP/err.txt" || fail "empty DIR: $(cat "$TMP/err.txt")"
[ -z "$(ls -A "$TMP/a")" ] || fail "files written into a directory that is not a campaign"
echo x > "$TMP/plain"
run "$HCFUZZ" report "$TMP/plain" 2> /dev/null
[ "$rc" = 2 ] || fail "DIR is a regular file: exit $rc"

# a campaign with a torn last line: written, the problem named on stderr
c="$TMP/campaign"
mkdir -p "$c/findings/0123456789abcdef"
printf '{"version": 1, "abi": "pvm", "target": "kvm", "engine": "afl", "jobs": 1,\n "runs": [{"started_unix": 1795200000, "seconds": 3, "stopped": "time limit"}]}\n' > "$c/campaign.json"
{
	echo "unix_time,elapsed_s,execs,execs_per_s,calls,calls_per_s,corpus,features,findings,since_new_feature_s"
	echo "1795200001,1,100,100,300,300,4,50,0,0"
	echo "1795200002,2,200,100,600,300,5,60,1,0"
	echo "1795200003,3,300,100,900,300,5,60,1,1"
	printf '1795200004,4,40'
} > "$c/stats.csv"
printf '{"version": 1, "id": "0123456789abcdef", "signature": "retval|x|rax|returned", "verdict": "FAIL", "first_seen_unix": 1795200002}\n' > "$c/findings/0123456789abcdef/finding.json"
run "$HCFUZZ" report "$c" > "$TMP/out.txt" 2> "$TMP/err.txt"
[ "$rc" = 0 ] || { cat "$TMP/err.txt"; fail "report on a campaign: exit $rc"; }
grep -q "wrote $c/report.html and $c/report.md: 1 finding (0 unreadable), 3 stats rows, 1 input problem" "$TMP/out.txt" \
	|| fail "summary line: $(cat "$TMP/out.txt")"
grep -q "stats.csv line 5: no line end" "$TMP/err.txt" || fail "torn line not reported: $(cat "$TMP/err.txt")"
for f in report.html report.md plot-execs.svg plot-features.svg plot-calls.svg plot-findings.svg; do
	[ -s "$c/$f" ] || fail "$f not written"
done
grep -q '| `0123456789abcdef` | `retval\\|x\\|rax\\|returned` | \*\*FAIL\*\*' "$c/report.md" || fail "finding row missing"
if command -v xmllint > /dev/null; then
	xmllint --noout "$c/report.html" "$c"/plot-*.svg || fail "report.html or a plot is not well-formed"
else
	echo "SKIP: xmllint not installed; well-formedness not checked"
fi

# --quiet: nothing on stderr, the problem still in the report
run "$HCFUZZ" report --quiet "$c" > /dev/null 2> "$TMP/err.txt"
[ "$rc" = 0 ] || fail "--quiet: exit $rc"
[ ! -s "$TMP/err.txt" ] || fail "--quiet printed: $(cat "$TMP/err.txt")"
grep -q "stats.csv line 5: no line end" "$c/report.md" || fail "the report lacks the note"

# a write that fails (file size limit standing in for a full disk): exit 4,
# the previous report untouched, no temporaries left
cp "$c/report.md" "$TMP/before.md"
echo "1795200004,4,400,100,1200,300,6,70,1,0" >> "$c/stats.csv"   # would change the report
run bash -c "trap '' XFSZ; ulimit -f 4; exec \"\$0\" report \"\$1\"" "$HCFUZZ" "$c" > /dev/null 2> "$TMP/err.txt"
[ "$rc" = 4 ] || { cat "$TMP/err.txt"; fail "failed write: exit $rc"; }
grep -q "failed: File too large" "$TMP/err.txt" || fail "failed write: $(cat "$TMP/err.txt")"
cmp -s "$c/report.md" "$TMP/before.md" || fail "a failed write changed report.md"
! ls -A "$c" | grep -q '\.tmp\.' || fail "temporaries left: $(ls -A "$c")"

# an unwritable directory: report.html's place taken by a directory
rm "$c/report.html"
mkdir "$c/report.html"
run "$HCFUZZ" report "$c" > /dev/null 2> "$TMP/err.txt"
[ "$rc" = 4 ] || fail "report.html is a directory: exit $rc"
grep -q "report.html failed: Is a directory" "$TMP/err.txt" || fail "no reason: $(cat "$TMP/err.txt")"
cmp -s "$c/report.md" "$TMP/before.md" || fail "report.md renamed after report.html failed"
! ls -A "$c" | grep -q '\.tmp\.' || fail "temporaries left: $(ls -A "$c")"
ok "hcfuzz report"
