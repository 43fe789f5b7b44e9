#!/usr/bin/env bash
# Path MTU discovery under DSR: a router's ICMP "fragmentation needed"
# about a backend's reply reaches the LB (it is addressed to the VIP);
# weir sends it to the stream's backend, whose kernel lowers the path MTU
# to the client. Without it the backend never learns, and large replies
# black-hole.
source "$(dirname "$0")/lib.sh"
t_setup
PMTU="$T_ROOT/tests/tools/pmtu.py"
t_bg b1 /usr/bin/python3 "$PMTU" server 8080
t_weir_start "$(t_config_header)
services:
$(t_service web "$VIP4" 8080 tcp round-robin - 198.18.0.11)"
t_wait_usable web 1
before=$(ip -n "${TOPO_P}b1" route get "$TOPO_C4" from "$VIP4")
echo "$before" | grep -q "mtu 1300" && fail "path MTU lowered before the test: $before"
cport=$(ip netns exec "${TOPO_P}c" /usr/bin/python3 "$PMTU" client "$VIP4" 8080 1300) ||
	fail "the client could not open its stream"
t_log "stream from client port $cport; ICMP frag-needed (mtu 1300) sent to the VIP"
t_wait_for 3 bash -c "ip -n ${TOPO_P}b1 route get $TOPO_C4 from $VIP4 | grep -q 'mtu 1300'" ||
	fail "backend did not lower its path MTU: $(ip -n "${TOPO_P}b1" route get "$TOPO_C4" from "$VIP4")"
t_log "backend b1: $(ip -n "${TOPO_P}b1" route get "$TOPO_C4" from "$VIP4" | tr -s ' ' | head -2 | paste -sd ' ')"
forwarded=$(w --json service show web | jq '.icmp_forwarded')
[ "$forwarded" = 1 ] || fail "icmp_forwarded is $forwarded, expected 1"
