#!/usr/bin/env bash
# Allocation with real UDP, measured at the receivers: three senders with
# the same min and more demand than a rate capacity each get their share
# (within 10%); a stream whose min cannot be met receives nothing (and its
# sender is told: ICMP port unreachable); an explicit request is granted and
# its stream policed at its max, one that cannot be met is answered 0; an
# idle stream is paused (its share released) and resumes.
source "$(dirname "$0")/lib.sh"
t_setup
t_sinks udp 9001
t_sinks udp 9002
t_sinks udp 9004
ip -n "${TOPO_P}c" addr add 198.18.0.5/32 dev eth0 || fail "second client address"
config="$(t_config_header)
services:
$(t_service share "$VIP4" 9001 udp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)
    capacity-rate: 30mbit
    stream-min: 5mbit
    refuse: reset
    classes:
      - {name: big, match: 198.18.0.5/32, min: 20mbit, max: 0}
$(t_service req "$VIP4" 9002 udp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)
    capacity-rate: 50mbit
$(t_service idle "$VIP4" 9004 udp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)
    pause-after: 2s"
t_weir_start "$config"
t_wait_usable share 3
t_wait_usable req 3
t_wait_usable idle 3

# Three senders of 20 Mbit/s into 30 Mbit/s, min 5 each: 10 each.
t_bg c "$STREAMS" --udp --addr "$VIP4" --port 9001 --conns 3 --sport-base 21000 --rate 20000000 \
	--size 1000 --hold-ms 5000 >"$T_RUN/share.json"
share=$T_LAST_PID
sleep 1
# A fourth whose min (20 Mbit/s) does not fit in what is left (15).
big=$(t_streams c --udp --bind 198.18.0.5 --addr "$VIP4" --port 9001 --sport-base 22000 \
	--rate 20000000 --size 1000 --hold-ms 1000)
wait "$share"
t_sinks_stop 9001
reports=$(t_sinks_json 9001)
for p in 21000 21001 21002; do
	bps=$(echo "$reports" | t_peer_bps "198.18.0.2:$p")
	t_log "sender :$p received at ${bps} bit/s (share 10 Mbit/s)"
	[ "$bps" -ge 9000000 ] && [ "$bps" -le 11000000 ] || fail "sender :$p got $bps bit/s"
done
got=$(echo "$reports" | t_peer_bytes "198.18.0.5:22000")
[ "$got" = 0 ] || fail "the stream whose min cannot be met received $got bytes"
[ "$(echo "$big" | jq -r '.conns[0].end')" = refused ] ||
	fail "its sender was not told (ICMP port unreachable): $big"
t_log "min not met: nothing received, the sender saw ECONNREFUSED"
w --json service show share | jq -e '.refused_by.min_unmet >= 1' >/dev/null ||
	fail "min_unmet not counted: $(w --json service show share | jq -c .refused_by)"

# An explicit request: granted, its stream policed at its max.
grant=$(w --json stream request req r1 --client 198.18.0.2:23000 --min 1mbit --max 4mbit)
[ "$(echo "$grant" | jq '.granted_bps')" -ge 1000000 ] || fail "request not granted: $grant"
t_log "request r1 granted $(echo "$grant" | jq .granted_bps) bit/s"
no=$(w --json stream request req r2 --client 198.18.0.2:23001 --min 80mbit --max 90mbit)
[ "$(echo "$no" | jq '.granted_bps')" = 0 ] && [ "$(echo "$no" | jq -r .reason)" = min_unmet ] ||
	fail "an impossible request was not answered 0: $no"
t_streams c --udp --addr "$VIP4" --port 9002 --sport-base 23000 --rate 20000000 --size 1000 \
	--hold-ms 3000 >/dev/null
w --json stream list req | jq -e '.streams[0].class != null' >/dev/null || fail "no stream listed"
t_sinks_stop 9002
bps=$(t_sinks_json 9002 | t_peer_bps "198.18.0.2:23000")
t_log "the granted stream received at $bps bit/s (max 4 Mbit/s)"
[ "$bps" -ge 3600000 ] && [ "$bps" -le 4400000 ] || fail "granted stream got $bps bit/s"
w stream release req r1 >/dev/null || fail "release"

# Idle for 4 s with pause-after 2 s: paused, then it comes back.
t_bg c "$STREAMS" --udp --addr "$VIP4" --port 9004 --sport-base 24000 --rate 1000000 --size 500 \
	--hold-ms 8000 --idle-at-ms 1000 --idle-ms 5000 >/dev/null
idle=$T_LAST_PID
t_wait_for 6 t_json '.matched == 1' stream list idle --state paused ||
	fail "the idle stream was not paused: $(w --json stream list idle)"
t_log "idle stream paused: $(w --json service show idle | jq -c '.class_list[0] | {running, paused}')"
wait "$idle"
[ "$(w --json service show idle | jq '.resumed')" = 1 ] || fail "the stream did not resume"
t_sinks_stop 9004
last=$(t_sinks_json 9004 | jq -s '[.[].peers[] | select(.peer == "198.18.0.2:24000") | .seconds] | add // 0')
t_log "it resumed; the receiver saw it for $last s"
awk -v s="$last" 'BEGIN { exit !(s > 6) }' || fail "nothing received after the pause ($last s)"
