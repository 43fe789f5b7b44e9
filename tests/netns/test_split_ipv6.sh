#!/usr/bin/env bash
# The same splits over an IPv6 VIP and IPv6 backends.
source "$(dirname "$0")/lib.sh"
t_setup
t_echo_servers
t_weir_start "$(t_config_header)
services:
  - name: rr6
    vip: $VIP6
    port: 80
    proto: tcp
    backends:
      - addr: 2001:db8::11
      - addr: 2001:db8::12
      - addr: 2001:db8::13
  - name: wt6
    vip: $VIP6
    port: 81
    proto: tcp
    steering: weighted
    backends:
      - addr: 2001:db8::11
        weight: 1
      - addr: 2001:db8::12
        weight: 2
      - addr: 2001:db8::13
        weight: 3"
t_wait_usable rr6 3
t_wait_usable wt6 3

out=$(t_clients tcp "$VIP6" 80 300)
t_log "round-robin: $out"
t_expect_split "$out" b1=100 b2=100 b3=100

out=$(t_clients tcp "$VIP6" 81 300)
t_log "weighted 1:2:3: $out"
t_expect_split "$out" b1=50 b2=100 b3=150
