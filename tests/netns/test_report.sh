#!/usr/bin/env bash
# --delay-source report: backends report queue and dequeue rate (`weir
# backend report`, or JSON over the socket); PIE regulates queue / rate.
# A reported 5 s queue makes PIE refuse new streams (RST at once, counted
# as "pie"); an empty queue lets p decay to 0 and every stream in again.
# Bad reports are refused and change nothing.
source "$(dirname "$0")/lib.sh"
t_setup
t_echo_servers
t_weir_start "$(t_config_header)
services:
$(t_service web "$VIP4" 80 tcp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)
    refuse: reset
    admission: pie
    delay-source: report"
t_wait_usable web 3
p() { w --json service show web | jq '.overload.p'; }
report_all() {
	local a

	for a in 198.18.0.11 198.18.0.12 198.18.0.13; do
		w backend report web "$a" "$@" >/dev/null || fail "report $a $*"
	done
}
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" b1=10 b2=10 b3=10

# bad reports: refused, nothing stored
for bad in queue=abc queue=-1 streams.active=1 queue=inf "=1" queue; do
	w backend report web 198.18.0.11 "$bad" >/dev/null 2>&1 && fail "report $bad accepted"
done
w backend report web 198.18.0.99 queue=1 >/dev/null 2>&1 && fail "report of no backend accepted"
[ "$(w --json backend list web | jq '[.[].reported | length] | add')" = 0 ] ||
	fail "a bad report was stored: $(w --json backend list web | jq -c '[.[].reported]')"
# over the socket, numbers as JSON numbers
echo '{"cmd":"backend.report","args":{"service":"web","addr":"198.18.0.12","queue":3,"dequeue_rate":100}}' |
	socat - "UNIX-CONNECT:$T_SOCK" | jq -e '.ok' >/dev/null || fail "socket report refused"
[ "$(w --json backend list web | jq '.[] | select(.addr == "198.18.0.12") | .reported.queue')" = 3 ] ||
	fail "socket report not stored"

report_all queue=500 dequeue_rate=100
t_wait_for 8 t_json '.overload.p > 0.5' service show web ||
	fail "p did not rise: $(w service show web | grep overload)"
t_log "reported 5 s queues: $(w service show web | grep overload)"
out=$(ip netns exec "${TOPO_P}c" "$CLIENT" --tcp --addr "$VIP4" --port 80 --count 100 \
	--timeout-ms 500 --json)
failed=$(echo "$out" | jq '.failed')
t_log "100 connections: $failed refused"
[ "$failed" -ge 30 ] || fail "only $failed of 100 refused at p $(p): $out"
pie=$(w --json service show web | jq '.refused_by.pie')
[ "$pie" -ge "$failed" ] || fail "pie refusals counted $pie, clients saw $failed"

report_all queue=0 dequeue_rate=100
t_wait_for 15 t_json '.overload.p == 0' service show web ||
	fail "p did not decay to 0: $(w service show web | grep overload)"
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" b1=10 b2=10 b3=10
