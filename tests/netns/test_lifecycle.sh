#!/usr/bin/env bash
# The backend lifecycle with real TCP: a standby backend takes streams only
# while the primaries are down; a drained backend keeps its running iperf3
# stream, gets no new ones, and `drain --wait` returns once its streams
# are gone (and fails when they outlast the wait); slow start gives a new
# backend a small share at first and its whole share after the window;
# `fallback: pass` hands new connections to the load balancer's own stack
# while no backend is usable.
source "$(dirname "$0")/lib.sh"
t_setup
t_bg b1 "$ECHO_SRV" --tcp --port 80 --name b1
b1_pid=$T_LAST_PID
t_bg b2 "$ECHO_SRV" --tcp --port 80 --name b2
b2_pid=$T_LAST_PID
t_bg b3 "$ECHO_SRV" --tcp --port 80 --name b3
for b in b1 b2 b3; do t_bg "$b" iperf3 -s -p 5201 >/dev/null 2>&1; done
for b in b1 b2 b3; do t_bg "$b" "$ECHO_SRV" --tcp --port 8080 --name "$b"; done
t_weir_start "$(t_config_header)
services:
$(t_service web "$VIP4" 80 tcp round-robin - 198.18.0.11 198.18.0.12)
      - {addr: 198.18.0.13, standby: true}
$(t_bulk_service 198.18.0.11 198.18.0.12 198.18.0.13)
$(t_service local "$VIP4" 8080 tcp round-robin - 198.18.0.11)
    fallback: pass
    health: {enabled: false}"
t_wait_usable web 3
t_wait_usable bulk 3

# standby: idle while a primary is usable
[ "$(t_backend_counter web 198.18.0.13 status)" = '"standby"' ] || fail "b3 not standby: $(w backend list web)"
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" b1=15 b2=15 b3=0
kill "$b1_pid" "$b2_pid"
wait "$b1_pid" "$b2_pid" 2>/dev/null
t_wait_for 8 t_json '[.[] | select(.status == "down")] | length == 2' backend list web ||
	fail "b1, b2 not down: $(w backend list web)"
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" b1=0 b2=0 b3=30
t_log "standby: b3 took the streams while b1 and b2 were down"
t_bg b1 "$ECHO_SRV" --tcp --port 80 --name b1
t_bg b2 "$ECHO_SRV" --tcp --port 80 --name b2
t_wait_for 8 t_json '.[] | select(.addr == "198.18.0.13") | .status == "standby"' backend list web ||
	fail "b3 not back to standby: $(w backend list web)"
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" b1=15 b2=15 b3=0

# drain: b1 carries a running iperf3 stream (b2 and b3 paused while it starts).
# weir sees only the client's half of a stream (DSR): when the iperf3 server
# ends it with a RST (it closes with data unread), its end is the idle
# timeout, 6 s here (longer than iperf3's quiet control connection).
t_wait_usable bulk 3
w service set bulk --idle-timeout 6s >/dev/null || fail "idle-timeout"
w backend pause bulk 198.18.0.12 >/dev/null && w backend pause bulk 198.18.0.13 >/dev/null || fail "pause"
t_bg c iperf3 -c "$VIP4" -p 5201 -t 4 -J >"$T_RUN/iperf.json"
iperf_pid=$T_LAST_PID
sleep 1
w backend resume bulk 198.18.0.12 >/dev/null && w backend resume bulk 198.18.0.13 >/dev/null || fail "resume"
# another backend deleted and added again at run time: b1's stream goes on
b1_id=$(t_backend_counter bulk 198.18.0.11 id)
w backend del bulk 198.18.0.13 >/dev/null && w backend add bulk 198.18.0.13 >/dev/null || fail "del/add b3"
[ "$(t_backend_counter bulk 198.18.0.11 id)" = "$b1_id" ] || fail "b1 changed id when b3 was deleted"
out=$(w backend drain bulk 198.18.0.11 --wait 300ms 2>&1) && fail "drain --wait 300ms with a stream running succeeded: $out"
echo "$out" | grep -q "streams still running after 300ms" || fail "drain timeout said: $out"
b1_new=$(t_backend_counter bulk 198.18.0.11 new_streams)
ip netns exec "${TOPO_P}c" bash -c "for i in \$(seq 20); do
	timeout 1 bash -c 'exec 3<>/dev/tcp/$VIP4/5201' 2>/dev/null; done"
start=$SECONDS
out=$(w --json backend drain bulk 198.18.0.11 --wait 20s) || fail "drain --wait 20s: $out"
waited=$(echo "$out" | jq '.waited_ms')
t_log "drain of b1 returned after $waited ms: $(echo "$out" | jq -c .)"
echo "$out" | jq -e '.drained' >/dev/null || fail "not drained: $out"
[ "$waited" -ge 1000 ] || fail "drain returned after $waited ms, before the iperf3 stream ended"
wait "$iperf_pid" || fail "the iperf3 stream on the drained backend broke"
[ "$(t_backend_counter bulk 198.18.0.11 new_streams)" = "$b1_new" ] || fail "draining b1 got new streams"
[ "$(t_backend_counter bulk 198.18.0.11 status)" = '"paused"' ] || fail "drained b1 not paused"

# slow start: b3 added to a service of two, ramping over 6 s
w service set web --slow-start 6s >/dev/null || fail "slow-start"
w backend del web 198.18.0.13 >/dev/null || fail "del b3"
w backend add web 198.18.0.13 >/dev/null || fail "add b3 again"
t_wait_usable web 3
early=$(t_clients tcp "$VIP4" 80 60 | jq '.replies.b3 // 0')
[ "$(t_backend_counter web 198.18.0.13 slow_start_left_ms)" -gt 0 ] || fail "b3 shows no slow start left"
ramp_done() { [ "$(t_backend_counter web 198.18.0.13 slow_start_left_ms)" = 0 ]; }
t_wait_for 9 ramp_done ||
	fail "b3's slow start did not end: $(w --json backend list web | jq -c '.[] | {addr, slow_start_left_ms}')"
sleep 0.3 # the tick after the ramp's end writes the whole weight
late=$(t_clients tcp "$VIP4" 80 60 | jq '.replies.b3 // 0')
t_log "slow start: b3 got $early of 60 new streams at once, $late of 60 after the window"
[ "$early" -le 12 ] || fail "b3 got $early of 60 at the start of its ramp"
[ "$late" = 20 ] || fail "b3 got $late of 60 after its ramp, expected 20"

# fallback pass: no usable backend, the LB's own stack answers
ip addr add "$VIP4/32" dev "$TOPO_LB_IF"
t_bg - "$ECHO_SRV" --tcp --port 8080 --name lb --bind "$VIP4"
out=$(t_clients tcp "$VIP4" 8080 10)
echo "$out" | jq -e '.replies.b1 == 10' >/dev/null || fail "local with b1: $out"
w backend pause local 198.18.0.11 >/dev/null || fail "pause local b1"
t_wait_for 3 t_json '.usable == 0' service show local || fail "local still usable with b1 paused"
out=$(t_clients tcp "$VIP4" 8080 10)
t_log "fallback pass, no usable backend: $(echo "$out" | jq -c '.replies')"
echo "$out" | jq -e '.replies.lb == 10 and .failed == 0' >/dev/null || fail "fallback pass: $out"
w --json stats | jq -e '.reasons[] | select(.reason == "fallback") | .packets > 0' >/dev/null ||
	fail "fallback not counted: $(w stats)"
w backend resume local 198.18.0.11 >/dev/null || fail "resume local b1"
t_wait_usable local 1
t_expect_split "$(t_clients tcp "$VIP4" 8080 10)" b1=10
