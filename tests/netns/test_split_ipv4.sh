#!/usr/bin/env bash
# 300 new TCP connections through an IPv4 VIP: exactly 100/100/100 in
# round-robin and 50/100/150 with weights 1:2:3, counted by the replies of
# real servers and by weir's own per-backend counters.
source "$(dirname "$0")/lib.sh"
t_setup
t_echo_servers
t_weir_start "$(t_config_header)
services:
$(t_service rr "$VIP4" 80 tcp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)
$(t_service wt "$VIP4" 81 tcp weighted - 198.18.0.11=1 198.18.0.12=2 198.18.0.13=3)"
t_wait_usable rr 3
t_wait_usable wt 3

out=$(t_clients tcp "$VIP4" 80 300)
t_log "round-robin: $out"
t_expect_split "$out" b1=100 b2=100 b3=100
for addr in 198.18.0.11 198.18.0.12 198.18.0.13; do
	n=$(t_backend_counter rr "$addr" new_streams)
	[ "$n" = 100 ] || fail "rr backend $addr: weir counted $n new streams, expected 100"
done

out=$(t_clients tcp "$VIP4" 81 300)
t_log "weighted 1:2:3: $out"
t_expect_split "$out" b1=50 b2=100 b3=150
[ "$(t_backend_counter wt 198.18.0.13 new_streams)" = 150 ] || fail "wt: weir's count differs"
w stats | sed 's/^/  /'
