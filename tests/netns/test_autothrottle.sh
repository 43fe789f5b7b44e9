#!/usr/bin/env bash
# --capacity-limit auto: each backend's max streams found by the
# autothrottle from its completion rate and probe delay, and enforced in
# XDP like a static --max-streams. Backends of fixed capacity (2 at a time,
# 10 ms each: 200/s) are offered 1.5 times that in new connections: the
# limits settle near the concurrency the servers serve best at, streams
# past them are refused (backend_full) and the latency of those served
# stays near the delay target instead of growing with the queue.
source "$(dirname "$0")/lib.sh"
QUEUE_SRV="$T_ROOT/build/tools/weir-queue-server"
LOAD="$T_ROOT/build/tools/weir-load"
t_setup
for b in b1 b2 b3; do
	t_bg "$b" "$QUEUE_SRV" --port 80 --workers 2 --service-ms 10 --name "$b" --probe-path /probe --out /dev/null
done
t_weir_start "$(t_config_header)
services:
$(t_service web "$VIP4" 80 tcp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)
    refuse: reset
    refuse-rate: 100000
    probe: http:/probe
    capacity-limit: auto"
t_wait_usable web 3
ip netns exec "${TOPO_P}c" "$LOAD" --addr "$VIP4" --port 80 --rate 900 --seconds 12 \
	--timeout-ms 5000 --path / --max-outstanding 18000 --json >"$T_RUN/load.json" || fail "weir-load"
limits=$(w --json backend list web | jq -c '[.[] | .limit]')
ok=$(jq '.ok' "$T_RUN/load.json")
settled=$(jq '.per_second[6:] | map(.p99_ms) | max' "$T_RUN/load.json")
full=$(w --json service show web | jq '.refused_by.backend_full')
t_log "limits $limits; $ok served in 12 s (capacity 600/s); p99 once settled $settled ms; $full refused at a limit"
w --json backend list web | jq -e 'all(.[]; .autothrottle and .limit >= 1 and .limit <= 50)' >/dev/null ||
	fail "limits not set by the autothrottle: $(w backend list web)"
[ "$full" -gt 0 ] || fail "no stream refused at a backend's limit"
[ "$ok" -ge $((600 * 12 * 7 / 10)) ] || fail "$ok served, below 70% of capacity"
awk -v v="$settled" 'BEGIN { exit !(v > 0 && v <= 200) }' || fail "p99 $settled ms once settled"
# what the data plane holds is what the controller shows
for a in 198.18.0.11 198.18.0.12 198.18.0.13; do
	[ "$(t_backend_counter web $a pinned_streams)" -le "$(t_backend_counter web $a limit)" ] ||
		fail "$a: more streams than its limit"
done
