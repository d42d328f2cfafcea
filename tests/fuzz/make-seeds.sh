#!/usr/bin/env bash
# make-seeds.sh: the seed corpora of the parser fuzz targets, made from the
# source tree (specs/, corpus/, tests/fixtures/, docs/), never kept in it,
# and their dictionaries, made from the readers' own sources.
#
#   tests/fuzz/make-seeds.sh SOURCE_DIR OUT_DIR
#
# OUT_DIR/<target>/ is made anew for every target of tests/fuzz, and
# OUT_DIR/../dict/<target>.dict for those that read text. Inputs that
# pick a spec start with its index in tests/fuzz/abis.list.
set -euo pipefail
src=$1
out=$2
split=$'\n#--hcfuzz-next-file--\n'   # HCF_FUZZ_SPLIT (fuzz_common.h)

rm -rf "$out"
for t in spec spec_fastabi prog_text codec finding campaign mailbox; do
	mkdir -p "$out/$t"
done

# a file's content under a name made of its origin
seed() { # TARGET NAME < content
	cat > "$out/$1/$(printf '%s' "$2" | tr '/ ' '__')"
}
# one byte, 0..255
byte() { printf "\\$(printf '%03o' "$1")"; }

# the specs of abis.list with their index and corpus folder
mapfile -t abis < <(grep -v '^#' "$src/tests/fuzz/abis.list" | grep -v '^$')

# spec: every spec file of either dialect, valid and invalid
for f in "$src"/specs/*.yaml "$src"/specs/xen-fastabi/*.yml "$src"/tests/fixtures/*.yaml \
	 "$src"/tests/fixtures/xen-fastabi/*.yml "$src"/tests/fixtures/specs/*/*.y*ml; do
	seed spec "${f#"$src"/}" < "$f"
done

# spec_fastabi: each directory of operation files as one input, and each file
for d in "$src"/specs/xen-fastabi "$src"/tests/fixtures/xen-fastabi; do
	first=1
	for f in "$d"/*.yml; do
		[ $first = 1 ] || printf '%s' "$split"
		cat "$f"
		first=0
	done | seed spec_fastabi "${d#"$src"/}"
	for f in "$d"/*.yml; do
		seed spec_fastabi "${f#"$src"/}" < "$f"
	done
done
for f in "$src"/tests/fixtures/specs/invalid/fastabi_*.yml; do
	{ cat "$src/specs/xen-fastabi/version.yml"; printf '%s' "$split"; cat "$f"; } |
		seed spec_fastabi "${f#"$src"/}"
done

# prog_text: each spec's regression programs, and the fixtures' programs
# against every spec; codec and mailbox: each spec's seed inputs
for i in "${!abis[@]}"; do
	read -r spec corpus <<< "${abis[$i]}"
	for f in "$src"/tests/fixtures/programs/*.hcf; do
		{ byte "$i"; cat "$f"; } | seed prog_text "$i-${f#"$src"/}"
	done
	[ "$corpus" != - ] || continue
	for f in "$src/corpus/$corpus"/regression/*.hcf; do
		[ -e "$f" ] || continue
		{ byte "$i"; cat "$f"; } | seed prog_text "$i-${f#"$src"/}"
	done
	n=0
	for f in "$src/corpus/$corpus"/seeds/*; do
		[ -f "$f" ] || continue
		{ byte "$i"; cat "$f"; } | seed codec "$i-${f#"$src"/}"
		# the mailbox: the program, then a guest that answers it well (a
		# DONE doorbell with every fix), with garbage, or boots first
		if [ $n -lt 8 ]; then
			size=$(stat -c %s "$f")
			[ "$size" -le 255 ] || size=255
			for mode in 0 1 8 9; do
				{ byte "$i"; byte $mode; byte "$size"; head -c "$size" "$f"
				  [ $((mode & 1)) = 0 ] || { byte 7; head -c 64 /dev/zero; }
				  [ $((mode & 1)) = 0 ] || { byte 0; byte 31; byte 0; }
				  byte 0; byte 31; byte 0; byte 0; byte 3; byte 1; } |
					seed mailbox "$i-$mode-${f#"$src"/}"
			done
		fi
		n=$((n + 1))
	done
done

# finding: finding.json as the campaign writes it (fuzz/finding.c), one per
# kind of place (docs/findings.md)
locs=('{"kind": "reg", "reg": "rax"}' '{"kind": "flag", "bit": 0}'
      '{"kind": "guard-below", "buf": 0, "off": -63, "bytes": 1, "addr": "0x600001", "end": "0x600002"}'
      '{"kind": "outcome", "rip": "0x600100"}' '{"kind": "xmm", "xmm": 3}'
      '{"kind": "field", "buf": 1, "off": 8, "bytes": 4, "addr": "0x600048", "end": "0x60004c", "name": "kvm_clock_pairing.sec"}'
      '{"kind": "page", "off": 0, "bytes": 4096, "addr": "0x7000", "end": "0x8000"}')
for k in "${!locs[@]}"; do
	cat <<-JSON | seed finding "finding-$k.json"
	{"version": 1, "id": "a2f0c44b3e1d9f07", "signature": "clobber|invlpg|rax|returned",
	 "oracle": "clobber", "op": "invlpg", "where": "rax", "class": "returned",
	 "verdict": "FAIL", "call": 0, "reason": "rax changed", "expected": "0x1", "got": "0x2",
	 "exact_where": "rax", "loc": ${locs[$k]}, "related_call": 3,
	 "result": {"calls": []}, "spec": "specs/pvm.yaml", "abi": "pvm", "transport": "vmcall",
	 "target": "kvm", "hypervisor": "pvm", "engine": "libfuzzer",
	 "first_seen": "2026-11-21T20:01:02Z", "first_seen_unix": 1795200000, "minimized": false}
	JSON
done

# campaign: the examples of docs/campaign-report.md (campaign.json, stats.csv)
# with the findings above and an engine's progress, as one directory
doc=$src/docs/campaign-report.md
cjson=$(awk '/^```json/{f=1;next} /^```/{if(f)exit} f' "$doc")
csv=$(grep -m1 '^unix_time,' "$doc"; grep -m1 -E '^[0-9]+,[0-9]+,' "$doc")
progress='{"execs": 1000, "calls": 3000, "lost": 1, "xfail": 2, "anomalies": {"pvm-a": 3, "pvm-b": 1}, "last_new_feature_unix": 1795200001}'
minimized=$(cat "$src/tests/fixtures/programs/kvm-basics.hcf")
{ printf '%s' "$cjson"; printf '%s' "$split"; printf '%s\n' "$csv"; printf '%s' "$split"
  cat "$out/finding/finding-0.json"; printf '%s' "$split"; printf '%s' "$minimized"; printf '%s' "$split"
  cat "$out/finding/finding-2.json"; printf '%s' "$split"; printf '%s' "$progress"; printf '%s' "$split"
  printf '%s' "$split"; printf '1234 hcfuzz-fuzz-libfuzzer\n99999 afl-fuzz\n'; } | seed campaign full
{ printf '%s' "$cjson"; printf '%s' "$split"; printf '%s\n' "$csv"; } | seed campaign json-csv
printf '%s' "$cjson" | seed campaign json
# dictionaries (libFuzzer's -dict format), from the words the readers
# themselves compare against: the spec loader's keys and names, the program
# text's keywords and registers, the campaign files' JSON keys and names
dict=$(dirname "$out")/dict
rm -rf "$dict"
mkdir -p "$dict"
words() { # FILE... : every string literal that is one word
	grep -ho '"[A-Za-z_#][A-Za-z0-9_.:#-]*"' "$@" | sort -u
}
{ words "$src"/harness/spec/*.c "$src"/harness/util/x86.c
  printf '"%s"\n' ': ' '- ' '[' ']' '{' '}' '0x' '---' '&a ' '*a' '!!int' '|' '>' '#' "'" '~' 'null' \
	'true' 'false' 'hcfuzz_spec: 1' 'hypercall_index' '\x0a  '; } > "$dict/spec.dict"
cp "$dict/spec.dict" "$dict/spec_fastabi.dict"
printf '"%s"\n' '#--hcfuzz-next-file--' >> "$dict/spec_fastabi.dict"
{ words "$src"/harness/prog/prog_parse.c "$src"/harness/prog/prog_text_names.c "$src"/harness/util/x86.c
  printf '"%s"\n' '=' '&' '+' '-' '0x' '#' ' ' '\x0a' 'call ' 'buf ' 'reloc ' 'abi ' 'nr=' 'size=' \
	'struct=' 'dir=' '@' ':'; } > "$dict/prog_text.dict"
{ words "$src"/harness/fuzz/finding.c "$src"/harness/fuzz/campaign_dir.c "$src"/harness/fuzz/campaign.c \
	"$src"/reports/report_jsonl.c "$src"/reports/campaign_data.c "$src"/oracles/verdict.c
  printf '"%s"\n' '{' '}' '[' ']' ':' ',' 'null' 'true' 'false' '1e308' '-0' 'NaN' '\x5c' \
	'\x5cu0000'; } > "$dict/finding.dict"
cp "$dict/finding.dict" "$dict/campaign.dict"
printf '"%s"\n' '#--hcfuzz-next-file--' 'unix_time,elapsed_s,execs' 'nan' 'inf' '1e999' \
	'\x0d\x0a' >> "$dict/campaign.dict"
echo "seeds: $(for t in "$out"/*/; do printf '%s %s  ' "$(basename "$t")" "$(ls "$t" | wc -l)"; done)"
