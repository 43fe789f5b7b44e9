#!/usr/bin/env bash
# make demo: a client, the load balancer (this host's root namespace) and
# three backends in network namespaces; `weir run` with scripts/demo.yaml;
# real TCP and UDP traffic; how it was balanced and admitted; a capacity
# expression steering by reported cpu; weir check; cleanup. The overload
# demo is scripts/overload-demo.sh (make overload-demo).
export WEIR_PREFIX="wd$$"
source "$(dirname "$0")/../tests/netns/lib.sh"

say() { printf '\n### %s\n' "$*"; }
split() { # split JSON: "b1 N  b2 N  b3 N  failed N"
	echo "$1" | jq -r '"  client saw: " + ([.replies | to_entries[] | "\(.key) \(.value)"] | join("  ")) + "  failed \(.failed)"'
}

say "topology: client ${TOPO_P}c, load balancer on $TOPO_LB_IF (root namespace), backends ${TOPO_P}b1..b3"
t_setup
t_echo_servers
t_sinks tcp 9000
t_sinks udp 9001
"$WEIR" run -c "$T_ROOT/scripts/demo.yaml" -i "$TOPO_LB_IF" --socket "$T_SOCK" \
	--pin-dir "$T_PIN" >>"$T_RUN/weir.log" 2>&1 &
WEIR_PID=$!
t_wait_for 5 w status || fail "weir run did not start: $(cat "$T_RUN/weir.log")"
for s in web:3 video:3 audio:3 live:3 radio:3; do t_wait_usable "${s%:*}" "${s#*:}"; done
w status

say "300 TCP connections to web ($VIP4:80, round-robin)"
split "$(t_clients tcp "$VIP4" 80 300)"
say "300 TCP connections to video ($VIP4:81, weighted 1:2:3)"
split "$(t_clients tcp "$VIP4" 81 300)"
say "300 UDP streams to audio ([$VIP6]:53, round-robin over IPv6)"
split "$(t_clients udp "$VIP6" 53 300)"

say "drain: pause b1 of web; 30 new connections go to the others"
w backend pause web 198.18.0.11
split "$(t_clients tcp "$VIP4" 80 30)"

say "admission: pause every backend of web; new streams are refused in the kernel"
w backend pause web 198.18.0.12
w backend pause web 198.18.0.13
out=$(ip netns exec "${TOPO_P}c" "$CLIENT" --tcp --addr "$VIP4" --port 80 --count 5 --timeout-ms 300 --json)
split "$out"

say "admission: live takes 4 streams; 4 long-lived TCP clients connect, then 2 more"
t_bg c "$STREAMS" --tcp --addr "$VIP4" --port 9000 --conns 4 --hold-ms 3000 >"$T_RUN/held.json"
held=$T_LAST_PID
sleep 0.5
t_streams c --tcp --addr "$VIP4" --port 9000 --conns 2 --hold-ms 200 |
	jq -r '.conns[] | "  client port \(.sport // "-"): \(.begin) after \(.begin_ms) ms (a RST from the VIP)"'
w service show live | grep -E "^(capacity streams|admitted now|refused):"
wait "$held"
jq -r '"  the 4 admitted: " + ([.conns[] | .end] | join(", "))' "$T_RUN/held.json"

say "allocation: radio has 30 Mbit/s, streams of min 5 Mbit/s; 3 UDP senders offer 20 Mbit/s each"
t_bg c "$STREAMS" --udp --addr "$VIP4" --port 9001 --conns 3 --sport-base 21000 --rate 20000000 \
	--size 1000 --hold-ms 3000 >/dev/null
senders=$T_LAST_PID
sleep 1.5
w stream list radio
wait "$senders"
t_sinks_stop 9001
reports=$(t_sinks_json 9001)
for p in 21000 21001 21002; do
	echo "  sender :$p received $(echo "$reports" | t_peer_bps "198.18.0.2:$p" |
		awk '{ printf "%.2f", $1 / 1e6 }') Mbit/s at its backend (its share: 10, UDP payload of 1028 IP bytes)"
done
w service show radio | grep -E "^(capacity rate|committed bit/s|policed packets):"

say "capacity ranking: video's backends report cpu 90, 10 and 50; new streams follow 1/cpu times their weights 1:2:3"
w service set video --capacity-ranking cpu >/dev/null
w backend report video 198.18.0.11 cpu=90 >/dev/null
w backend report video 198.18.0.12 cpu=10 >/dev/null
w backend report video 198.18.0.13 cpu=50 >/dev/null
sleep 0.5
w expr check "cpu" --service video
split "$(t_clients tcp "$VIP4" 81 131)"

say "weir check: the setup, probed on the wire"
w check "$TOPO_LB_IF"

say "weir stats: how every stream was balanced and admitted"
w stats
say "cleaning up"
