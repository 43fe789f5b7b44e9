#!/usr/bin/env bash
# kill -9 of `weir run` during an iperf3 stream does not break the stream;
# a restarted controller adopts the attached program and pinned maps and
# shows the stream.
source "$(dirname "$0")/lib.sh"
t_setup
t_iperf_server b1
config="$(t_config_header)
services:
$(t_bulk_service 198.18.0.11)"
t_weir_start "$config"
t_wait_usable bulk 1
t_bg c iperf3 -c "$VIP4" -p 5201 -t 8 -i 1 -J >"$T_RUN/iperf.json"
iperf_pid=$T_LAST_PID
sleep 2
kill -9 "$WEIR_PID"
wait "$WEIR_PID" 2>/dev/null
t_log "weir run killed with SIGKILL at 2 s"
ip -o link show dev "$TOPO_LB_IF" | grep -q 'prog/xdp' || fail "XDP program gone with the controller"
sleep 1
t_weir_start "$config"
t_log "weir run restarted at 3 s"
status=$(w --json status)
[ "$(echo "$status" | jq '.maps_adopted')" = true ] || fail "restart did not adopt the maps: $status"
[ "$(echo "$status" | jq '.interfaces[0].adopted')" = true ] || fail "restart did not adopt the program"
# The sweep (every second) counts the stream table.
t_wait_for 3 t_json '.streams >= 1' service show bulk ||
	fail "restarted controller shows no stream: $(w service show bulk)"
t_log "restarted controller sees $(w --json service show bulk | jq .streams) active stream(s)"
wait "$iperf_pid" || fail "iperf3 broke across the restart: $(jq -r '.error // empty' "$T_RUN/iperf.json")"
# Every 1 s interval moved data: no stall while the controller was gone.
low=$(jq '[.intervals[].sum.bits_per_second] | min / 1e6 | floor' "$T_RUN/iperf.json")
t_log "iperf3 across the restart: $(t_iperf_mbps "$T_RUN/iperf.json") Mbit/s, slowest second $low Mbit/s"
[ "$low" -gt 0 ] || fail "a second without data during the restart"

# A controller restarted without the interface detaches weir from it: the
# program would otherwise forward with maps nobody keeps in step.
kill -9 "$WEIR_PID"
wait "$WEIR_PID" 2>/dev/null
printf '%s\n' "$config" >"$T_RUN/weir.yaml"
"$WEIR" run -c "$T_RUN/weir.yaml" --socket "$T_SOCK" --pin-dir "$T_PIN" >>"$T_RUN/weir.log" 2>&1 &
WEIR_PID=$!
t_wait_for 5 w status || fail "weir run without -i did not start"
ip -o link show dev "$TOPO_LB_IF" | grep -q 'prog/xdp' && fail "still attached to $TOPO_LB_IF"
t_log "restarted without -i: detached from $TOPO_LB_IF"
