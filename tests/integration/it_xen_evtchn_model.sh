#!/usr/bin/env bash
# it_xen_evtchn_model.sh: the xen model against Xen 4.17. The same program of
# event-channel calls on the agent's own domain (allocate twice, status,
# close twice, status of ports 2, 63, 64 and 0, close port 0, allocate
# again, yield, pagesize), once on the model target, which answers what the
# model predicts, and once on xen-pvh (the agent as Xen's PVH dom0 under QEMU
# TCG): Xen's answers pass the oracles with the model (exit 0), and every
# register and buffer byte that changed is the same on both, so the model
# predicted each one rather than leaving it open. The agent holds port 1
# for its wake-up event from boot on (the model target is told so,
# xen-wake-port=1, and the Xen target reports it): the first allocation is
# port 2. One boot.
. "$(dirname "$0")/lib.sh"
set -e
need_xen
spec=$SRC/tests/fixtures/xen-evtchn.yaml
cat >"$TMP/ev.hcf" <<'PROG'
buf a1 struct=evtchn_alloc_unbound dom=0x7ff0 remote_dom=0
buf a2 struct=evtchn_alloc_unbound dom=0x7ff0 remote_dom=7
buf s1 struct=evtchn_status dom=0x7ff0 port=3
buf c1 struct=evtchn_close port=2
buf c2 struct=evtchn_close port=2
buf s2 struct=evtchn_status dom=0x7ff0 port=2
buf s63 struct=evtchn_status dom=0x7ff0 port=63
buf s64 struct=evtchn_status dom=0x7ff0 port=64
buf c0 struct=evtchn_close port=0
buf s0 struct=evtchn_status dom=0x7ff0 port=0
buf a3 struct=evtchn_alloc_unbound dom=0x7ff0 remote_dom=0
call event_channel_op.alloc_unbound arg=&a1
call event_channel_op.alloc_unbound arg=&a2
call event_channel_op.status arg=&s1
call event_channel_op.close arg=&c1
call event_channel_op.close arg=&c2
call event_channel_op.status arg=&s2
call event_channel_op.status arg=&s63
call event_channel_op.status arg=&s64
call event_channel_op.close arg=&c0
call event_channel_op.status arg=&s0
call event_channel_op.alloc_unbound arg=&a3
call sched_op.yield arg=0
call xen_version.pagesize arg=0
PROG
# what changed, call by call: the return register and every buffer byte
changes() { grep -E '^call [0-9]|^    (rax|buf[0-9])' "$1" | sed 's/ (0x[0-9a-f]*, / (/'; }
run "$HCFUZZ" run --spec "$spec" --target model --target-opt xen-wake-port=1 --memory "$TMP/ev.hcf" \
	>"$TMP/model.txt" 2>&1
[ "$rc" = 0 ] || fail "on the model target: $rc: $(tail -5 "$TMP/model.txt")"
run timeout 300 "$HCFUZZ" run --spec "$spec" --target xen-pvh "${xen[@]}" \
	--memory "$TMP/ev.hcf" >"$TMP/xen.txt" 2>&1
[ "$rc" = 0 ] || fail "Xen's answers do not pass with the model ($rc): $(grep -E 'FAIL|verdict' "$TMP/xen.txt" | head -8)"
changes "$TMP/model.txt" >"$TMP/model.chg"
changes "$TMP/xen.txt" >"$TMP/xen.chg"
[ "$(grep -c '^call' "$TMP/xen.chg")" = 13 ] || fail "not 13 calls: $(cat "$TMP/xen.txt")"
grep -q 'buf10+4 (1 bytes): 00 -> 02' "$TMP/xen.chg" || fail "the freed port 2 was not handed out again: $(cat "$TMP/xen.chg")"
diff -u "$TMP/model.chg" "$TMP/xen.chg" >"$TMP/diff" || fail "Xen and the model differ: $(cat "$TMP/diff")"
ok "Xen 4.17's event channels as the xen model predicts them: 13 calls, every changed register and byte the same"
