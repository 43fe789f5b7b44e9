#!/usr/bin/env bash
# A backend flapping every second for a minute (the server its health
# checks reach killed and started again; fast checks take it down and up):
# no stream of the other backends moves or breaks, and new connections
# keep succeeding.
source "$(dirname "$0")/lib.sh"
t_setup
t_sinks tcp 9000
t_bg b1 "$ECHO_SRV" --tcp --port 80 --name b1
t_bg b2 "$ECHO_SRV" --tcp --port 80 --name b2
t_weir_start "$(t_config_header)
services:
$(t_service live "$VIP4" 9000 tcp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)
    health: {port: 80, interval: 200ms, timeout: 100ms, fall: 2, rise: 2}"
b3_up() {
	t_bg b3 "$ECHO_SRV" --tcp --port 80 --name b3
	b3_pid=$T_LAST_PID
}
b3_up
t_wait_usable live 3
# the held streams go to b1 and b2 only: b3 paused while they start
w backend pause live 198.18.0.13 >/dev/null || fail "pause b3"
t_bg c "$STREAMS" --tcp --addr "$VIP4" --port 9000 --conns 12 --hold-ms 63000 --interval-ms 100 \
	>"$T_RUN/held.json"
held=$T_LAST_PID
sleep 1
w backend resume live 198.18.0.13 >/dev/null || fail "resume b3"
downs=0
end=$((SECONDS + 60))
while [ "$SECONDS" -lt "$end" ]; do
	kill "$b3_pid"
	wait "$b3_pid" 2>/dev/null
	sleep 1
	[ "$(t_backend_counter live 198.18.0.13 status)" = '"down"' ] && downs=$((downs + 1))
	b3_up
	sleep 1
	out=$(t_streams c --tcp --addr "$VIP4" --port 9000 --conns 3 --hold-ms 100)
	[ "$(echo "$out" | jq '.ok')" = 3 ] || fail "new connections failed while b3 flaps: $out"
done
t_log "b3 flapped for 60 s (seen down $downs times)"
[ "$downs" -ge 5 ] || fail "b3 was seen down only $downs times: not flapping"
wait "$held"
[ "$(jq '[.conns[] | select(.end == "held")] | length' "$T_RUN/held.json")" = 12 ] ||
	fail "streams of b1 and b2 broke: $(jq -c '[.conns[] | .end]' "$T_RUN/held.json")"
t_sinks_stop 9000
reports=$(t_sinks_json 9000)
# every held stream's bytes reached one backend, b1 or b2, and no other
moved=$(echo "$reports" | jq -s '[.[] | .name as $b | .peers[] | {peer, b: $b}] | group_by(.peer) |
	map(select(length > 1)) | length')
ports=$(jq -c '[.conns[].sport]' "$T_RUN/held.json")
# held_at NAMES: how many of the held streams' source ports a sink in NAMES saw
held_at() {
	echo "$reports" | jq -s --argjson ports "$ports" --argjson names "$1" \
		'[.[] | select(.name as $n | $names | index($n)) | .peers[] |
		select((.peer | split(":")[1] | tonumber) as $p | $ports | index($p))] | length'
}
b3_held=$(held_at '["b3"]')
b12_held=$(held_at '["b1","b2"]')
t_log "held streams seen at more than one backend: $moved; at b1 and b2: $b12_held; at b3: $b3_held"
[ "$moved" = 0 ] || fail "a stream moved between backends"
[ "$b12_held" = 12 ] || fail "only $b12_held of the 12 held streams (ports $ports) found at b1 and b2"
[ "$b3_held" = 0 ] || fail "held streams reached the flapping b3"
