#!/usr/bin/env bash
# A UDP service: every datagram from a new source port is a new stream,
# steered round-robin; replies come straight from the backends (DSR).
source "$(dirname "$0")/lib.sh"
t_setup
t_echo_servers
t_weir_start "$(t_config_header)
services:
$(t_service dns "$VIP4" 53 udp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)"
t_wait_usable dns 3

out=$(t_clients udp "$VIP4" 53 300)
t_log "udp round-robin: $out"
t_expect_split "$out" b1=100 b2=100 b3=100
streams=$(w --json service show dns | jq '.new_streams')
[ "$streams" = 300 ] || fail "weir counted $streams new UDP streams, expected 300"
