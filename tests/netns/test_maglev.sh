#!/usr/bin/env bash
# Maglev steering with real TCP: weights 1:2:3 give shares near 1/6, 2/6,
# 3/6 of new connections; a deleted backend's share spreads over the others.
source "$(dirname "$0")/lib.sh"
t_setup
t_echo_servers
t_weir_start "$(t_config_header)
services:
$(t_service web "$VIP4" 80 tcp maglev - 198.18.0.11=1 198.18.0.12=2 198.18.0.13=3)
    maglev-table-size: 65537"
t_wait_usable web 3
out=$(t_clients tcp "$VIP4" 80 600)
t_log "600 connections over weights 1:2:3: $(echo "$out" | jq -c '.replies')"
[ "$(echo "$out" | jq '.failed')" = 0 ] || fail "failed connections: $out"
for pair in b1:100 b2:200 b3:300; do
	got=$(echo "$out" | jq ".replies.${pair%:*} // 0")
	want=${pair#*:}
	[ "$got" -ge $((want - 45)) ] && [ "$got" -le $((want + 45)) ] ||
		fail "${pair%:*}: $got of 600, expected about $want"
done
w backend del web 198.18.0.13 >/dev/null || fail "del b3"
out=$(t_clients tcp "$VIP4" 80 300)
t_log "b3 deleted: $(echo "$out" | jq -c '.replies')"
[ "$(echo "$out" | jq '.failed')" = 0 ] || fail "failed connections: $out"
[ "$(echo "$out" | jq '.replies.b3 // 0')" = 0 ] || fail "the deleted b3 got connections"
