#!/usr/bin/env bash
# The circuit breaker: probes of a backend whose server is gone fail, its
# breaker opens (no new streams, logged, counted), and after the cool-down
# a half-open breaker whose probes succeed closes again. Health checks are
# off, so only the breaker takes the backend out.
source "$(dirname "$0")/lib.sh"
t_setup
t_bg b1 "$ECHO_SRV" --tcp --port 80 --name b1
t_bg b2 "$ECHO_SRV" --tcp --port 80 --name b2
t_bg b3 "$ECHO_SRV" --tcp --port 80 --name b3
b3_pid=$T_LAST_PID
t_weir_start "$(t_config_header)
services:
$(t_service web "$VIP4" 80 tcp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)
    health: {enabled: false}
    admission: pie
    delay-target: 200ms
    probe: tcp
    breaker-cooldown: 1s"
t_wait_usable web 3
breaker() { t_backend_counter web "$1" breaker; }
breaker_is() { [ "$(breaker "$1")" = "\"$2\"" ]; }
for a in 198.18.0.11 198.18.0.12 198.18.0.13; do
	[ "$(breaker $a)" = '"closed"' ] || fail "$a: breaker $(breaker $a), expected closed"
done
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" b1=10 b2=10 b3=10

kill "$b3_pid"
wait "$b3_pid" 2>/dev/null
start=$SECONDS
t_wait_for 5 breaker_is 198.18.0.13 open || fail "b3's breaker did not open: $(w backend list web)"
t_log "b3's server killed: breaker open after about $((SECONDS - start)) s"
[ "$(t_backend_counter web 198.18.0.13 status)" = '"breaker-open"' ] || fail "b3 status: $(w backend list web)"
[ "$(t_backend_counter web 198.18.0.13 breaker_trips)" -ge 1 ] || fail "no trip counted"
grep -q "backend 198.18.0.13: breaker open" "$T_RUN/weir.log" || fail "the trip was not logged"
# open: no new streams to b3 (exactly 15 each on the others)
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" b1=15 b2=15 b3=0

b3_start() {
	t_bg b3 "$ECHO_SRV" --tcp --port 80 --name b3
	b3_pid=$T_LAST_PID
}
b3_start
# cool-down 1 s (doubled at most twice while the server was away), then
# three good probes in half-open close it
t_wait_for 10 breaker_is 198.18.0.13 closed || fail "b3's breaker did not close: $(w backend list web)"
[ "$(t_backend_counter web 198.18.0.13 breaker_closed)" -ge 1 ] || fail "no close counted"
grep -q "backend 198.18.0.13: breaker half-open" "$T_RUN/weir.log" || fail "half-open not logged"
grep -q "backend 198.18.0.13: breaker closed" "$T_RUN/weir.log" || fail "close not logged"
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" b1=10 b2=10 b3=10

# Half-open: a trickle of new streams, one slot for every 16 of a closed
# backend. Slow probes (one every 2 s, three good ones to close) keep it
# half-open long enough to look; one failure trips it.
w service set web --probe-interval 2s --breaker-consecutive 1 >/dev/null || fail "service set"
kill "$b3_pid"
wait "$b3_pid" 2>/dev/null
t_wait_for 5 breaker_is 198.18.0.13 open || fail "b3's breaker did not open again: $(w backend list web)"
b3_start
t_wait_for 8 breaker_is 198.18.0.13 half-open || fail "b3's breaker not half-open: $(w backend list web)"
# slots 16:16:1, three full passes
t_expect_split "$(t_clients tcp "$VIP4" 80 99)" b1=48 b2=48 b3=3
