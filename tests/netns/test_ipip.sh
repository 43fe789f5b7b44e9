#!/usr/bin/env bash
# --forwarding ipip across a routed hop: two backends in another subnet,
# behind a router, decapsulating with `weir decap attach`. TCP, UDP and
# IPv6 split exactly; the outer sources come from the service's prefix,
# many per many streams (the router counts them); an iperf3 stream works
# through path MTU discovery (full-size segments are answered with
# "fragmentation needed", counted as too_big); decap detaches.
source "$(dirname "$0")/lib.sh"
t_setup
topo_routed_up || fail "routed hop did not come up"
for h in rb1 rb2; do
	ip -n "${TOPO_P}$h" addr add "$VIP4/32" dev lo || fail "VIP on $h"
	ip -n "${TOPO_P}$h" addr add "$VIP6/128" dev lo || fail "VIP6 on $h"
	ip netns exec "${TOPO_P}$h" "$WEIR" decap attach eth0 >/dev/null || fail "decap attach on $h"
	t_bg "$h" "$ECHO_SRV" --tcp --port 80 --name "$h"
	t_bg "$h" "$ECHO_SRV" --udp --port 53 --name "$h"
	t_bg "$h" iperf3 -s -p 5201 >/dev/null 2>&1
done
ip netns exec "${TOPO_P}r" nft -f - <<NFT || fail "router counters"
table inet weir_test {
	set outer4 { type ipv4_addr; flags dynamic; }
	set outer6 { type ipv6_addr; flags dynamic; }
	chain forward_count {
		type filter hook forward priority 0;
		ip protocol 4 ip saddr 198.19.254.0/24 add @outer4 { ip saddr } counter
		meta nfproto ipv6 ip6 nexthdr 41 ip6 saddr 2001:db8:ff::/64 add @outer6 { ip6 saddr } counter
	}
}
NFT
t_weir_start "$(t_config_header)
services:
$(t_service web "$VIP4" 80 tcp round-robin - 198.18.2.11 198.18.2.12)
    forwarding: ipip
    encap-source: 198.19.254.0/24
$(t_service dns "$VIP4" 53 udp round-robin - 198.18.2.11 198.18.2.12)
    forwarding: ipip
    encap-source: 198.19.254.0/24
$(t_service web6 "$VIP6" 80 tcp round-robin - 2001:db8:2::11 2001:db8:2::12)
    forwarding: ipip
    encap-source: \"2001:db8:ff::/64\"
$(t_service bulk "$VIP4" 5201 tcp round-robin 80 198.18.2.11)
    forwarding: ipip
    encap-source: 198.19.254.0/24"
t_wait_usable web 2
t_wait_usable dns 2
t_wait_usable web6 2
t_wait_usable bulk 1
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" rb1=15 rb2=15
t_expect_split "$(t_clients udp "$VIP4" 53 30)" rb1=15 rb2=15
t_expect_split "$(t_clients tcp "$VIP6" 80 30)" rb1=15 rb2=15
n4=$(ip netns exec "${TOPO_P}r" nft -j list set inet weir_test outer4 | jq '[.nftables[].set.elem // empty | .[]] | length')
n6=$(ip netns exec "${TOPO_P}r" nft -j list set inet weir_test outer6 | jq '[.nftables[].set.elem // empty | .[]] | length')
t_log "outer sources seen by the router: $n4 IPv4 (of 60 streams), $n6 IPv6 (of 30)"
[ "$n4" -ge 20 ] || fail "only $n4 distinct IPv4 outer sources"
[ "$n6" -ge 10 ] || fail "only $n6 distinct IPv6 outer sources"
ip netns exec "${TOPO_P}c" iperf3 -c "$VIP4" -p 5201 -t 3 -J >"$T_RUN/iperf.json" ||
	fail "iperf3 through ipip: $(jq -r '.error // empty' "$T_RUN/iperf.json")"
too_big=$(w --json stats | jq '.reasons[] | select(.reason == "too_big") | .packets')
t_log "iperf3 through ipip: $(t_iperf_mbps "$T_RUN/iperf.json") Mbit/s; $too_big too-big datagrams answered for path MTU discovery"
[ "$too_big" -gt 0 ] || fail "no datagram was too big: path MTU discovery not exercised"
ip netns exec "${TOPO_P}rb1" "$WEIR" decap detach eth0 >/dev/null || fail "decap detach"
out=$(ip netns exec "${TOPO_P}rb1" "$WEIR" decap detach eth0 2>&1) && fail "second detach succeeded"
echo "$out" | grep -q "not attached there" || fail "second detach said: $out"
