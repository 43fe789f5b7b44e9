#!/usr/bin/env bash
# kill -9 of the controller every few seconds during traffic, for a
# minute: no established stream breaks, new connections keep being
# balanced, and after each start the admission counts converge to the
# streams that run (the restarted controller rebuilds them from the maps).
source "$(dirname "$0")/lib.sh"
t_setup
t_echo_servers
t_sinks tcp 9000
config="$(t_config_header)
services:
$(t_service web "$VIP4" 80 tcp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)
$(t_service live "$VIP4" 9000 tcp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)
    capacity-streams: 20"
t_weir_start "$config"
t_wait_usable live 3
t_bg c "$STREAMS" --tcp --addr "$VIP4" --port 9000 --conns 12 --hold-ms 64000 --interval-ms 100 \
	>"$T_RUN/held.json"
held=$T_LAST_PID
sleep 1
admitted() { "$WEIR" --socket "$T_SOCK" --json service show live | jq '.admitted_streams'; }
admitted_is() { [ "$(admitted)" = "$1" ]; }
[ "$(admitted)" = 12 ] || fail "12 streams running, $(admitted) admitted"
for round in $(seq 14); do
	kill -9 "$WEIR_PID"
	wait "$WEIR_PID" 2>/dev/null
	# traffic while no controller runs: the data plane balances alone
	out=$(t_clients tcp "$VIP4" 80 9)
	[ "$(echo "$out" | jq '.failed')" = 0 ] || fail "round $round: connections failed without a controller: $out"
	t_weir_start "$config"
	t_wait_for 3 admitted_is 12 ||
		fail "round $round: admission counts $(admitted), 12 streams run"
	sleep 3
done
t_log "14 kill -9 and restarts over a minute; admitted streams after each: 12"
wait "$held"
[ "$(jq '[.conns[] | select(.end == "held")] | length' "$T_RUN/held.json")" = 12 ] ||
	fail "streams broke across the restarts: $(jq -c '[.conns[] | .end]' "$T_RUN/held.json")"
t_log "12 streams held for 64 s across them"
