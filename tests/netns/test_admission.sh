#!/usr/bin/env bash
# Admission with real TCP: a service of 4 streams takes 4 long-lived
# clients and refuses the next ones with a RST at once (ECONNREFUSED
# within 100 ms); when one ends a new one gets in. A priority-7 client
# takes the place of a priority-1 stream at full capacity (preemption).
# kill -9 of the controller keeps the admitted streams, and a stream
# beyond capacity is still refused after the restart.
source "$(dirname "$0")/lib.sh"
t_setup
t_sinks tcp 9000
t_sinks tcp 9003
ip -n "${TOPO_P}c" addr add 198.18.0.5/32 dev eth0 || fail "second client address"
config="$(t_config_header)
services:
$(t_service cap "$VIP4" 9000 tcp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)
    capacity-streams: 4
    refuse: reset
$(t_service prio "$VIP4" 9003 tcp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)
    capacity-streams: 2
    priority: 1
    preempt: true
    refuse: reset
    classes:
      - {name: gold, match: 198.18.0.5/32, min: 0, max: 0, priority: 7}"
t_weir_start "$config"
t_wait_usable cap 3
t_wait_usable prio 3

# 4 run (3 for 6 s, 1 for 1.5 s), the next 2 get a RST at once.
t_bg c "$STREAMS" --tcp --addr "$VIP4" --port 9000 --conns 3 --hold-ms 6000 >"$T_RUN/a.json"
a=$T_LAST_PID
t_bg c "$STREAMS" --tcp --addr "$VIP4" --port 9000 --conns 1 --hold-ms 1500 >"$T_RUN/a2.json"
a2=$T_LAST_PID
sleep 0.5
b=$(t_streams c --tcp --addr "$VIP4" --port 9000 --conns 2 --hold-ms 300)
t_log "2 more while 4 run: $(echo "$b" | jq -c '[.conns[] | {begin, begin_ms}]')"
[ "$(echo "$b" | jq '[.conns[] | select(.begin == "refused" and .begin_ms < 100)] | length')" = 2 ] ||
	fail "expected 2 refused within 100 ms: $b"
wait "$a2"
[ "$(jq '.ok' "$T_RUN/a2.json")" = 1 ] || fail "the short stream did not run: $(cat "$T_RUN/a2.json")"
sleep 0.3
c=$(t_streams c --tcp --addr "$VIP4" --port 9000 --conns 1 --hold-ms 300)
[ "$(echo "$c" | jq '.ok')" = 1 ] || fail "no place after a stream ended: $c"
t_log "one ended, the next was admitted"
refused=$(w --json service show cap | jq '.refused_by.capacity')
[ "$refused" = 2 ] || fail "capacity refusals counted: $refused, expected 2"

# Preemption: 2 priority-1 streams fill the service; a priority-7 client
# (class gold) gets in and one of the two is reset at its next segment.
t_bg c "$STREAMS" --tcp --addr "$VIP4" --port 9003 --conns 2 --hold-ms 3000 --interval-ms 50 \
	>"$T_RUN/low.json"
low=$T_LAST_PID
sleep 0.5
hi=$(t_streams c --tcp --bind 198.18.0.5 --addr "$VIP4" --port 9003 --conns 1 --hold-ms 1000)
[ "$(echo "$hi" | jq '.ok')" = 1 ] || fail "the priority-7 stream was not admitted: $hi"
wait "$low"
t_log "priority-1 streams: $(jq -c '[.conns[] | {begin, "end": .end, end_ms}]' "$T_RUN/low.json")"
[ "$(jq '[.conns[] | select(.end == "reset" and .end_ms < 800)] | length' "$T_RUN/low.json")" = 1 ] ||
	fail "expected one priority-1 stream reset soon after 500 ms: $(cat "$T_RUN/low.json")"
[ "$(jq '[.conns[] | select(.end == "held")] | length' "$T_RUN/low.json")" = 1 ] ||
	fail "the other priority-1 stream did not run on"
[ "$(w --json service show prio | jq '.preempted')" = 1 ] || fail "preemption not counted"

# kill -9 and a restart: the admitted streams keep going, and the service
# is still full for a new one.
wait "$a"
t_bg c "$STREAMS" --tcp --addr "$VIP4" --port 9000 --conns 4 --hold-ms 6000 --interval-ms 100 \
	>"$T_RUN/k.json"
k=$T_LAST_PID
sleep 1
kill -9 "$WEIR_PID"
wait "$WEIR_PID" 2>/dev/null
t_log "weir run killed with 4 streams admitted"
sleep 0.5
t_weir_start "$config"
after=$(t_streams c --tcp --addr "$VIP4" --port 9000 --conns 1 --hold-ms 200)
[ "$(echo "$after" | jq '.conns[0].begin')" = '"refused"' ] ||
	fail "a fifth stream after the restart was not refused: $after"
wait "$k"
[ "$(jq '[.conns[] | select(.end == "held")] | length' "$T_RUN/k.json")" = 4 ] ||
	fail "admitted streams broke across the restart: $(cat "$T_RUN/k.json")"
[ "$(w --json service show cap | jq '.admitted_streams')" -le 4 ] || fail "counts above capacity"
t_log "4 streams held across kill -9; a fifth refused after the restart"
