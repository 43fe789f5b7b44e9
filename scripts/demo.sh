#!/usr/bin/env bash
# make demo: a client, the load balancer (this host's root namespace) and
# three backends in network namespaces; `weir run` with scripts/demo.yaml;
# real TCP and UDP traffic; how it was balanced and admitted; cleanup.
export WEIR_PREFIX="wd$$"
source "$(dirname "$0")/../tests/netns/lib.sh"

say() { printf '\n### %s\n' "$*"; }
split() { # split JSON: "b1 N  b2 N  b3 N  failed N"
	echo "$1" | jq -r '"  client saw: " + ([.replies | to_entries[] | "\(.key) \(.value)"] | join("  ")) + "  failed \(.failed)"'
}

say "topology: client ${TOPO_P}c, load balancer on $TOPO_LB_IF (root namespace), backends ${TOPO_P}b1..b3"
t_setup
t_echo_servers
"$WEIR" run -c "$T_ROOT/scripts/demo.yaml" -i "$TOPO_LB_IF" --socket "$T_SOCK" \
	--pin-dir "$T_PIN" >>"$T_RUN/weir.log" 2>&1 &
WEIR_PID=$!
t_wait_for 5 w status || fail "weir run did not start: $(cat "$T_RUN/weir.log")"
for s in web:3 video:3 audio:3; do t_wait_usable "${s%:*}" "${s#*:}"; done
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

say "weir stats: how every stream was balanced and admitted"
w stats
say "cleaning up"
