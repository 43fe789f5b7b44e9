#!/usr/bin/env bash
# An iperf3 TCP stream through the VIP completes; the same stream straight
# to the backend gives the baseline. Throughput is printed, not asserted.
source "$(dirname "$0")/lib.sh"
t_setup
t_iperf_server b1
t_weir_start "$(t_config_header)
services:
$(t_bulk_service 198.18.0.11)"
t_wait_usable bulk 1

ip netns exec "${TOPO_P}c" iperf3 -c "$VIP4" -p 5201 -t 3 -J >"$T_RUN/via.json" ||
	fail "iperf3 through weir did not complete: $(jq -r '.error // empty' "$T_RUN/via.json")"
ip netns exec "${TOPO_P}c" iperf3 -c 198.18.0.11 -p 5201 -t 3 -J >"$T_RUN/direct.json" ||
	fail "iperf3 direct did not complete"
via=$(t_iperf_mbps "$T_RUN/via.json")
direct=$(t_iperf_mbps "$T_RUN/direct.json")
[ "$via" -gt 0 ] || fail "no bytes through weir"
t_log "iperf3 through weir: $via Mbit/s; direct to the backend: $direct Mbit/s"
packets=$(w --json service show bulk | jq '.packets')
[ "$packets" -gt 1000 ] || fail "weir forwarded only $packets packets of the stream"
