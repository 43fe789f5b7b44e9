#!/usr/bin/env bash
# weir check explains a broken setup: each fault is made on purpose and
# must be named with its fix. A backend without the VIP on lo, one that
# answers ARP for the VIP, one whose server is down, one that is not on
# the link; and, inside a namespace, no bpffs and an interface whose MTU
# native XDP refuses. With everything right it reports no failure.
source "$(dirname "$0")/lib.sh"
t_setup
t_echo_servers
t_weir_start "$(t_config_header)
services:
$(t_service web "$VIP4" 80 tcp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)"
t_wait_usable web 3
out=$("$WEIR" --socket "$T_SOCK" check "$TOPO_LB_IF") || fail "check failed a good setup: $out"
t_log "a good setup: $(echo "$out" | grep -c '^ok') ok, $(echo "$out" | grep -c '^FAIL') failures"
echo "$out" | grep -q "backend web 198.18.0.11 .*takes packets for the VIP" || fail "b1 not probed: $out"

# the faults
ip -n "${TOPO_P}b1" addr del "$VIP4/32" dev lo || fail "VIP off b1"
ip netns exec "${TOPO_P}b2" sysctl -q -w net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.eth0.arp_ignore=0
w backend add web 198.18.0.99 >/dev/null || fail "add a backend not on the link"
sleep 1.5 # its MAC is searched for and not found
json=$("$WEIR" --socket "$T_SOCK" --json check "$TOPO_LB_IF") && fail "check passed a broken setup"
text=$("$WEIR" --socket "$T_SOCK" check "$TOPO_LB_IF")
has() { echo "$json" | jq -e --arg c "$1" --arg d "$2" --arg f "$3" \
	'any(.[]; .check == $c and .status == "fail" and (.detail | contains($d)) and ((.fix // "") | contains($f)))' >/dev/null; }
has "backend web 198.18.0.11" "does not take packets for the VIP 198.18.1.100" "ip addr add 198.18.1.100/32 dev lo" ||
	fail "missing VIP not explained: $text"
has "backend web 198.18.0.12" "answers ARP for the VIP 198.18.1.100" "arp_ignore=1" ||
	fail "ARP for the VIP not explained: $text"
has "backend web 198.18.0.99" "no MAC" "on this link" || fail "no MAC not explained: $text"
t_log "broken: $(echo "$json" | jq -r '[.[] | select(.status == "fail") | .check] | join(", ")')"
# a backend whose server is down
kill "${T_ECHO[b3:80]}" 2>/dev/null
sleep 0.3
json=$("$WEIR" --socket "$T_SOCK" --json check "$TOPO_LB_IF")
has "backend web 198.18.0.13" "does not accept connections on port 80" "start its server" ||
	fail "a stopped server not explained: $(echo "$json" | jq -c '.[] | select(.check | contains("0.13"))')"
# inside a namespace: no bpffs there, and a veth of MTU 9000
ip -n "${TOPO_P}c" link add vx0 type veth peer name vx1 || fail "veth"
ip -n "${TOPO_P}c" link set dev vx0 mtu 9000 up
ip -n "${TOPO_P}c" link set dev vx1 mtu 9000 up
json=$(ip netns exec "${TOPO_P}c" "$WEIR" --socket /nonexistent --json check vx0) && fail "check passed in the namespace"
has bpffs "not mounted" "mount -t bpf" || fail "bpffs not explained: $json"
has "interface vx0" "refuses native XDP at MTU 9000" "lower the MTU" || fail "MTU not explained: $json"
t_log "in a namespace: $(echo "$json" | jq -r '[.[] | select(.status == "fail") | .check] | join(", ")')"
