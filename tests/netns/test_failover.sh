#!/usr/bin/env bash
# Killing a backend's server: health checks (1 s, 3 failures) take it out
# of the rotation and new connections succeed on the others within 4 s;
# restarting the server brings it back.
source "$(dirname "$0")/lib.sh"
t_setup
t_bg b1 "$ECHO_SRV" --tcp --port 80 --name b1
t_bg b3 "$ECHO_SRV" --tcp --port 80 --name b3
t_bg b2 "$ECHO_SRV" --tcp --port 80 --name b2
b2_pid=$T_LAST_PID
t_weir_start "$(t_config_header)
services:
$(t_service web "$VIP4" 80 tcp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)"
t_wait_usable web 3
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" b1=10 b2=10 b3=10

kill "$b2_pid"
wait "$b2_pid" 2>/dev/null
out=$(ip netns exec "${TOPO_P}c" "$CLIENT" --tcp --addr "$VIP4" --port 80 --until-ok 30 \
	--timeout-ms 500 --deadline-s 15 --json)
recovered=$(echo "$out" | jq '.recovered_ms')
t_log "server of b2 killed: new connections all succeed again after $recovered ms"
[ "$recovered" != null ] || fail "never recovered: $out"
[ "$recovered" -le 4000 ] || fail "recovered after $recovered ms, more than 4 s"
[ "$(t_backend_counter web 198.18.0.12 status)" = '"down"' ] || fail "b2 is not down"
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" b1=15 b2=0 b3=15

t_bg b2 "$ECHO_SRV" --tcp --port 80 --name b2
t_wait_usable web 3
out=$(t_clients tcp "$VIP4" 80 30)
t_log "b2 back: $out"
[ "$(echo "$out" | jq '.replies.b2')" -ge 9 ] || fail "b2 did not return: $out"
