#!/usr/bin/env bash
# Capacity expressions with real TCP: a reported cpu, as capacity-ranking,
# shifts new streams toward the less loaded backend; a capacity limit of 5
# caps each backend (the overflow of the heaviest weight goes to the
# others, then new streams are refused at the limit); a shuffle size of 2
# spreads new streams over the two best-ranked; a scale-out expression
# that holds fires its hook once; `weir expr check` evaluates against the
# live metrics and names what is wrong with a bad expression.
source "$(dirname "$0")/lib.sh"
t_setup
t_echo_servers
t_sinks tcp 9000
t_weir_start "$(t_config_header)
services:
$(t_service web "$VIP4" 80 tcp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)
    capacity-ranking: cpu
$(t_service capped "$VIP4" 9000 tcp weighted - 198.18.0.11=3 198.18.0.12=1 198.18.0.13=1)
    health: {port: 80}
    refuse: reset
    capacity-limit: \"5\"
    scale-out: \"avg(streams.active) >= 4\"
    scale-for: 1s
    scale-hook: \"echo \$WEIR_SCALE \$WEIR_SERVICE \$WEIR_USABLE >> $T_RUN/hook.log\""
t_wait_usable web 3
t_wait_usable capped 3
report() { w backend report "$1" "$2" "$3" >/dev/null || fail "report $*"; }

# ranking: cpu 90, 10, 50 -> weights 1/90 : 1/10 : 1/50
report web 198.18.0.11 cpu=90
report web 198.18.0.12 cpu=10
report web 198.18.0.13 cpu=50
t_wait_for 3 t_json '[.[] | .rank_weight] == [111, 1000, 200]' backend list web ||
	fail "rank weights: $(w --json backend list web | jq -c '[.[] | {addr, rank, rank_weight}]')"
out=$(t_clients tcp "$VIP4" 80 131)
t_log "cpu 90/10/50: $(echo "$out" | jq -c '.replies')"
t_expect_split "$out" b1=11 b2=100 b3=20
w expr check "cpu * 2" --service web | grep -q "198.18.0.12 *20" || fail "expr check: $(w expr check 'cpu * 2' --service web)"
out=$(w expr check "avg(cpu) > 40 && max(cpu) < 100" --service web) || fail "expr check pool: $out"
echo "$out" | grep -q "^pool: 1" || fail "expr check pool value: $out"
out=$(w expr check "avg(cpu" 2>&1) && fail "a bad expression passed: $out"
echo "$out" | grep -q "column 8: expected ')'" || fail "expr check error: $out"
out=$(w expr check "streams.actve + 1" 2>&1) && fail "a misspelt metric passed: $out"
echo "$out" | grep -q "unknown metric 'streams.actve'" || fail "expr check name: $out"

# shuffle size 2: the two best-ranked (b1 and b2 now), at random
report web 198.18.0.11 cpu=10
report web 198.18.0.12 cpu=20
report web 198.18.0.13 cpu=90
w service set web --shuffle-size "min(2, nodeCount)" >/dev/null || fail "shuffle-size"
t_wait_for 3 t_json '.capacity.shuffle_k == 2' service show web ||
	fail "shuffle k: $(w --json service show web | jq -c '.capacity')"
out=$(t_clients tcp "$VIP4" 80 100)
t_log "shuffle 2 of cpu 10/20/90: $(echo "$out" | jq -c '.replies')"
[ "$(echo "$out" | jq '.replies.b3 // 0')" = 0 ] || fail "b3, not among the two best, got streams: $out"
[ "$(echo "$out" | jq '.replies.b1 // 0')" -ge 25 ] && [ "$(echo "$out" | jq '.replies.b2 // 0')" -ge 25 ] ||
	fail "not spread over the two best: $out"

# limit 5 per backend: 15 held streams fill them (b1's weight 3 overflows
# to the others), 3 more are refused with a RST
t_bg c "$STREAMS" --tcp --addr "$VIP4" --port 9000 --conns 15 --hold-ms 4000 --interval-ms 200 \
	>"$T_RUN/held.json"
held=$T_LAST_PID
sleep 1
more=$(t_streams c --tcp --addr "$VIP4" --port 9000 --conns 3 --hold-ms 300)
limits=$(w --json backend list capped | jq -c '[.[] | .pinned_streams]')
t_log "limit 5: pinned $limits; 3 more: $(echo "$more" | jq -c '[.conns[] | .begin]')"
[ "$limits" = "[5,5,5]" ] || fail "pinned streams $limits, expected 5 each"
[ "$(echo "$more" | jq '[.conns[] | select(.begin == "refused")] | length')" = 3 ] ||
	fail "over the limits, not refused: $more"
[ "$(w --json service show capped | jq '.refused_by.backend_full')" -ge 3 ] || fail "backend_full not counted"
# the scale-out expression (avg >= 4 streams) held 1 s: its hook ran once
t_wait_for 3 test -s "$T_RUN/hook.log" || fail "scale-out hook did not run: $(w --json service show capped | jq -c .capacity)"
wait "$held"
[ "$(jq '.ok' "$T_RUN/held.json")" = 15 ] || fail "held streams broke: $(jq -c '.conns | map(.end)' "$T_RUN/held.json")"
sleep 1.2
[ "$(wc -l <"$T_RUN/hook.log")" = 1 ] || fail "scale-out hook ran $(wc -l <"$T_RUN/hook.log") times: $(cat "$T_RUN/hook.log")"
[ "$(cat "$T_RUN/hook.log")" = "out capped 3" ] || fail "hook saw: $(cat "$T_RUN/hook.log")"
[ "$(w --json service show capped | jq '.capacity.scale_out_fired')" = 1 ] || fail "scale-out not counted"
grep -q "service capped: scale-out: avg(streams.active) >= 4 held for" "$T_RUN/weir.log" || fail "scale-out not logged"
