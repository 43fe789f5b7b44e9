#!/usr/bin/env bash
# The same splits over an IPv6 VIP and IPv6 backends.
source "$(dirname "$0")/lib.sh"
t_setup
t_echo_servers
t_weir_start "$(t_config_header)
services:
$(t_service rr6 "$VIP6" 80 tcp round-robin - 2001:db8::11 2001:db8::12 2001:db8::13)
$(t_service wt6 "$VIP6" 81 tcp weighted - 2001:db8::11=1 2001:db8::12=2 2001:db8::13=3)"
t_wait_usable rr6 3
t_wait_usable wt6 3

out=$(t_clients tcp "$VIP6" 80 300)
t_log "round-robin: $out"
t_expect_split "$out" b1=100 b2=100 b3=100

out=$(t_clients tcp "$VIP6" 81 300)
t_log "weighted 1:2:3: $out"
t_expect_split "$out" b1=50 b2=100 b3=150
