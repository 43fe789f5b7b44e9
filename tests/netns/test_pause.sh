#!/usr/bin/env bash
# A paused backend gets no new streams while its running iperf3 stream
# continues (drain); resume gives it new streams again.
source "$(dirname "$0")/lib.sh"
t_setup
for b in b1 b2 b3; do t_iperf_server "$b"; done
t_weir_start "$(t_config_header)
services:
$(t_bulk_service 198.18.0.11 198.18.0.12 198.18.0.13)"
t_wait_usable bulk 3
# iperf3 opens a control and a data connection that must meet on one
# server: leave only b1 in the rotation while it starts.
w backend pause bulk 198.18.0.12 >/dev/null || fail "pause b2"
w backend pause bulk 198.18.0.13 >/dev/null || fail "pause b3"
t_bg c iperf3 -c "$VIP4" -p 5201 -t 5 -J >"$T_RUN/iperf.json"
iperf_pid=$T_LAST_PID
sleep 1.5
w backend resume bulk 198.18.0.12 >/dev/null || fail "resume b2"
w backend resume bulk 198.18.0.13 >/dev/null || fail "resume b3"
w backend pause bulk 198.18.0.11 >/dev/null || fail "pause b1"
[ "$(t_backend_counter bulk 198.18.0.11 status)" = '"paused"' ] || fail "b1 not paused"
b1_new=$(t_backend_counter bulk 198.18.0.11 new_streams)
b1_packets=$(t_backend_counter bulk 198.18.0.11 packets)
# 30 new TCP connections (handshake, close) while b1 is paused.
ip netns exec "${TOPO_P}c" bash -c "for i in \$(seq 30); do
	timeout 1 bash -c 'exec 3<>/dev/tcp/$VIP4/5201' 2>/dev/null; done"
wait "$iperf_pid" || fail "iperf3 stream on the paused backend broke: $(jq -r '.error // empty' "$T_RUN/iperf.json")"
mbps=$(t_iperf_mbps "$T_RUN/iperf.json")
t_log "iperf3 stream across the pause: $mbps Mbit/s"
[ "$(t_backend_counter bulk 198.18.0.11 new_streams)" = "$b1_new" ] || fail "paused b1 got new streams"
[ "$(t_backend_counter bulk 198.18.0.11 packets)" -gt "$((b1_packets + 1000))" ] ||
	fail "b1's running stream did not continue after the pause"
b2_new=$(t_backend_counter bulk 198.18.0.12 new_streams)
b3_new=$(t_backend_counter bulk 198.18.0.13 new_streams)
t_log "new streams while b1 paused: b2 $b2_new, b3 $b3_new"
[ "$((b2_new + b3_new))" = 30 ] || fail "b2+b3 got $((b2_new + b3_new)) new streams, expected 30"
w backend resume bulk 198.18.0.11 >/dev/null || fail "resume b1"
ip netns exec "${TOPO_P}c" bash -c "for i in \$(seq 3); do
	timeout 1 bash -c 'exec 3<>/dev/tcp/$VIP4/5201' 2>/dev/null; done"
[ "$(t_backend_counter bulk 198.18.0.11 new_streams)" = "$((b1_new + 1))" ] || fail "resumed b1 got no new stream"
