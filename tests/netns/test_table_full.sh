#!/usr/bin/env bash
# The stream table full: 512 entries, 100 busy TCP streams and 2000 new
# UDP streams churning through it. The LRU evicts the idle ones; every
# busy TCP stream keeps going (an evicted one would lose its next segment:
# only a SYN opens a stream); nothing crashes; the places the evicted
# streams held are found and given back by the sweep (counted as
# reconciled), so the admission counts match the streams in the table.
source "$(dirname "$0")/lib.sh"
t_setup
t_echo_servers
t_sinks tcp 9000
t_weir_start "stream-table-size: 512
$(t_config_header)
services:
$(t_service live "$VIP4" 9000 tcp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)
$(t_service dns "$VIP4" 53 udp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)"
t_wait_usable live 3
t_wait_usable dns 3
[ "$(w --json status | jq '.stream_table_size')" = 512 ] || fail "stream table not 512 entries"
t_bg c "$STREAMS" --tcp --addr "$VIP4" --port 9000 --conns 100 --hold-ms 9000 --interval-ms 50 \
	>"$T_RUN/busy.json"
busy=$T_LAST_PID
sleep 1
churn=$(ip netns exec "${TOPO_P}c" "$CLIENT" --udp --addr "$VIP4" --port 53 --count 2000 \
	--timeout-ms 500 --deadline-s 60 --sport-base 20000 --json)
t_log "2000 UDP streams through a table of 512: $(echo "$churn" | jq -c '{failed, replies}')"
[ "$(echo "$churn" | jq '.failed')" -le 20 ] || fail "churn failed: $churn"
wait "$busy"
held=$(jq '[.conns[] | select(.end == "held")] | length' "$T_RUN/busy.json")
t_log "busy TCP streams held to the end: $held of 100"
[ "$held" = 100 ] || fail "busy streams broke: $(jq -c '[.conns[] | .end] | group_by(.) | map({(.[0]): length}) | add' "$T_RUN/busy.json")"
# a sweep pass or two later, the counts are the table's
sleep 2.5
st=$(w --json status)
dns=$(w --json service show dns)
live=$(w --json service show live)
t_log "reconciled places: $(echo "$st" | jq .reconciled_places); dns: $(echo "$dns" | jq -c '{admitted_streams, streams}'), live: $(echo "$live" | jq -c '{admitted_streams, streams}')"
[ "$(echo "$st" | jq .reconciled_places)" -gt 0 ] || fail "no eviction was reconciled"
[ "$(echo "$dns" | jq '.admitted_streams == .streams')" = true ] || fail "dns counts: $dns"
[ "$(echo "$live" | jq '.admitted_streams')" = 0 ] || fail "live counts after the busy streams ended: $live"
[ "$(echo "$st" | jq '.streams')" -le 512 ] || fail "more streams than the table holds: $st"
