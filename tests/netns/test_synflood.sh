#!/usr/bin/env bash
# A spoofed SYN flood from random sources in 198.19.0.0/16 at ten times a
# service's capacity, bounded in time: the admitted streams keep flowing,
# a client of a priority-7 class (a rule on its prefix) still gets new
# streams admitted during the flood thanks to the priority reserve, every
# other client gets in again within 5 s of the flood's end (the flood's
# provisional places expire), and the controller's memory stays bounded.
source "$(dirname "$0")/lib.sh"
FLOOD="$T_ROOT/build/tools/weir-synflood"
t_setup
t_sinks tcp 9000
ip -n "${TOPO_P}c" addr add 198.18.0.5/32 dev eth0 || fail "priority client address"
t_weir_start "$(t_config_header)
services:
$(t_service live "$VIP4" 9000 tcp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)
    capacity-streams: 50
    refuse: reset
    priority-reserve: 10%
    classes:
      - {name: gold, match: 198.18.0.5/32, min: 0, max: 0, priority: 7}"
t_wait_usable live 3
rss() { awk '/^VmRSS/ {print $2}' "/proc/$WEIR_PID/status"; }
rss_before=$(rss)
t_bg c "$STREAMS" --tcp --addr "$VIP4" --port 9000 --conns 10 --hold-ms 12000 --interval-ms 100 \
	>"$T_RUN/held.json"
held=$T_LAST_PID
sleep 1
t_bg c "$FLOOD" --addr "$VIP4" --port 9000 --src-net 198.19.0.0/16 \
	--rate 500 --seconds 6 >"$T_RUN/flood.json"
flood=$T_LAST_PID
sleep 2
# during the flood: the service is full of provisional places ...
full=$(t_streams c --tcp --addr "$VIP4" --port 9000 --conns 1 --hold-ms 200)
t_log "an ordinary client during the flood: $(echo "$full" | jq -c '[.conns[].begin]')"
[ "$(echo "$full" | jq '.conns[0].begin')" = '"refused"' ] || fail "the flood did not fill the service"
# ... but the reserve keeps room for priority 7
gold=$(t_streams c --tcp --addr "$VIP4" --port 9000 --conns 2 --hold-ms 500 --bind 198.18.0.5)
t_log "priority-7 clients during the flood: $(echo "$gold" | jq -c '[.conns[].begin]')"
[ "$(echo "$gold" | jq '.ok')" = 2 ] || fail "priority-7 clients refused during the flood: $gold"
wait "$flood"
t_log "flood: $(cat "$T_RUN/flood.json"), refused by capacity: $(w --json service show live | jq '.refused_by.capacity')"
# after the flood: in again within 5 s
start=$(date +%s%N)
ok=0
for _ in $(seq 20); do
	out=$(t_streams c --tcp --addr "$VIP4" --port 9000 --conns 1 --hold-ms 100)
	if [ "$(echo "$out" | jq '.ok')" = 1 ]; then
		ok=1
		break
	fi
	sleep 0.25
done
waited=$((($(date +%s%N) - start) / 1000000))
t_log "an ordinary client got in ${waited} ms after the flood"
[ "$ok" = 1 ] && [ "$waited" -le 5000 ] || fail "not admitted within 5 s of the flood's end"
wait "$held"
[ "$(jq '.ok' "$T_RUN/held.json")" = 10 ] && [ "$(jq '[.conns[] | select(.end == "held")] | length' "$T_RUN/held.json")" = 10 ] ||
	fail "admitted streams broke during the flood: $(jq -c '[.conns[] | {begin, "end": .end}]' "$T_RUN/held.json")"
rss_after=$(rss)
t_log "controller memory: ${rss_before} kB before, ${rss_after} kB after"
[ $((rss_after - rss_before)) -lt 20000 ] || fail "controller grew by $((rss_after - rss_before)) kB"
