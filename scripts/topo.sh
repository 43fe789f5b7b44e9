# shellcheck shell=bash disable=SC2034
# weir test topology, a bash library: source it, then topo_up / topo_down.
#
#   root ns (the LB host)          switch ns ${P}sw            hosts
#   ${P}lb 198.18.0.1/24  <-veth->  ${P}lbp --+
#          2001:db8::1/64                     |
#                                   br0 ------+-- p-c  <-veth-> eth0 in ${P}c   .2
#                                             +-- p-b1 <-veth-> eth0 in ${P}b1  .11
#                                             +-- p-b2 <-veth-> eth0 in ${P}b2  .12
#                                             +-- p-b3 <-veth-> eth0 in ${P}b3  .13
#
# The client routes the VIP ranges 198.18.1.0/24 and 2001:db8:1::/64 via the
# LB; backends hold VIPs on lo (topo_add_vip) and answer the client directly
# (DSR). Per DESIGN.md "Test network rules": ${P}lbp carries an XDP_PASS
# program (else frames the LB sends with XDP_TX are not received), and tx
# checksum offload is off on the host veths (else checksums stay unfinished
# and the backend drops the frames once they crossed XDP).
#
# Environment: WEIR_PREFIX (default w$$, at most 12 characters of
# [A-Za-z0-9_]), WEIR_PASS_OBJ (default build/pass.bpf.o of this repository).
# Callers own the cleanup: trap topo_down EXIT.

TOPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOPO_P="${WEIR_PREFIX:-w$$}"
TOPO_PASS_OBJ="${WEIR_PASS_OBJ:-$TOPO_ROOT/build/pass.bpf.o}"
TOPO_BACKENDS=(b1 b2 b3)
TOPO_HOSTS=(c b1 b2 b3)

# Names and addresses, for the callers.
TOPO_LB_IF="${TOPO_P}lb"
TOPO_NS_SW="${TOPO_P}sw"
TOPO_HOST_IF=eth0
TOPO_LB4=198.18.0.1
TOPO_LB6=2001:db8::1
TOPO_C4=198.18.0.2
TOPO_C6=2001:db8::2
declare -gA TOPO_ADDR4=([c]=198.18.0.2 [b1]=198.18.0.11 [b2]=198.18.0.12 [b3]=198.18.0.13)
declare -gA TOPO_ADDR6=([c]=2001:db8::2 [b1]=2001:db8::11 [b2]=2001:db8::12 [b3]=2001:db8::13)
TOPO_VIP4_NET=198.18.1.0/24
TOPO_VIP6_NET=2001:db8:1::/64

_topo_err()
{
	echo "topo: $*" >&2
}

# Run a command; on failure say which one and return 1.
_topo_run()
{
	local out

	if ! out=$("$@" 2>&1); then
		_topo_err "failed: $* : $out"
		return 1
	fi
}

topo_ns()
{
	echo "${TOPO_P}$1"
}

# topo_exec NS CMD... : run CMD in namespace ${P}NS (c, b1, b2, b3, sw).
topo_exec()
{
	local ns="$1"

	shift
	ip netns exec "${TOPO_P}${ns}" "$@"
}

# The MAC of a host's veth (c, b1..b3), or of the LB's veth with "lb".
topo_mac()
{
	if [ "$1" = lb ]; then
		cat "/sys/class/net/${TOPO_LB_IF}/address"
	else
		ip -n "${TOPO_P}$1" -o link show dev "$TOPO_HOST_IF" |
			sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
	fi
}

_topo_in_range()
{
	case "$1" in
	198.18.* | 198.19.* | 2001:db8:* | 2001:DB8:*) return 0 ;;
	esac
	_topo_err "address $1 is outside 198.18.0.0/15 and 2001:db8::/32"
	return 1
}

# Our names: ${P}lb ${P}lbp ${P}sw ${P}c ${P}bN ${P}r ${P}rbN — and nothing else.
_topo_ours()
{
	[[ "$1" =~ ^${TOPO_P}(lb|lbp|sw|c|b[0-9]+|r|rb[0-9]+)$ ]]
}

_topo_check_prefix()
{
	if ! [[ "$TOPO_P" =~ ^[A-Za-z0-9_]{1,12}$ ]]; then
		_topo_err "WEIR_PREFIX '$TOPO_P' must be 1-12 characters of [A-Za-z0-9_]"
		return 1
	fi
}

# Fail if anything with our names exists already (an earlier run's leftovers).
_topo_check_free()
{
	local ns link found=0

	for ns in $(ip netns list | awk '{print $1}'); do
		if _topo_ours "$ns"; then
			_topo_err "namespace $ns exists already"
			found=1
		fi
	done
	for link in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//'); do
		if _topo_ours "$link"; then
			_topo_err "interface $link exists already in the root namespace"
			found=1
		fi
	done
	if [ "$found" = 1 ]; then
		_topo_err "remove them with: WEIR_PREFIX=$TOPO_P, source scripts/topo.sh, topo_down"
		return 1
	fi
}

_topo_sysctl()
{
	local ns="$1"

	shift
	_topo_run ip netns exec "$ns" sysctl -q -w "$@"
}

# A new namespace with lo up and no IPv6 duplicate address detection.
_topo_ns_add()
{
	local ns="$1"

	_topo_run ip netns add "$ns" || return 1
	_topo_run ip -n "$ns" link set dev lo up || return 1
	_topo_sysctl "$ns" net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.dad_transmits=0 net.ipv6.conf.default.dad_transmits=0
}

_topo_switch_up()
{
	local sw="$TOPO_NS_SW"

	_topo_ns_add "$sw" || return 1
	_topo_sysctl "$sw" net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 ||
		return 1
	_topo_run ip -n "$sw" link add br0 type bridge stp_state 0 mcast_snooping 0 || return 1
	_topo_run ip -n "$sw" link set dev br0 up
}

_topo_port_up()
{
	_topo_run ip -n "$TOPO_NS_SW" link set dev "$1" master br0 || return 1
	_topo_run ip -n "$TOPO_NS_SW" link set dev "$1" up
}

# The LB's veth: ${P}lb in the root namespace, ${P}lbp on the bridge.
_topo_lb_up()
{
	local lb="$TOPO_LB_IF"

	_topo_run ip link add "$lb" type veth peer name "${lb}p" netns "$TOPO_NS_SW" || return 1
	_topo_run sysctl -q -w "net.ipv6.conf.${lb}.accept_dad=0" || return 1
	_topo_run ip addr add "$TOPO_LB4/24" dev "$lb" || return 1
	_topo_run ip addr add "$TOPO_LB6/64" dev "$lb" nodad || return 1
	_topo_run ip link set dev "$lb" up || return 1
	_topo_port_up "${lb}p" || return 1
	_topo_run ip -n "$TOPO_NS_SW" link set dev "${lb}p" xdp obj "$TOPO_PASS_OBJ" sec xdp ||
		return 1
	# GRO, as a NIC's receive path has it: without it every frame that
	# crossed XDP goes through the bridge and the backend one by one.
	_topo_run ip netns exec "$TOPO_NS_SW" ethtool -K "${lb}p" gro on
}

# A host namespace (c, bN) with eth0 on the bridge, tx checksumming off
# (DESIGN.md's veth notes) and GRO on, as a NIC would receive.
_topo_host_up()
{
	local h="$1" ns="${TOPO_P}$1"

	_topo_ns_add "$ns" || return 1
	_topo_sysctl "$ns" net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 ||
		return 1
	_topo_run ip -n "$ns" link add eth0 type veth peer name "p-$h" netns "$TOPO_NS_SW" ||
		return 1
	_topo_run ip netns exec "$ns" ethtool -K eth0 tx off gro on || return 1
	_topo_sysctl "$ns" net.ipv4.conf.eth0.rp_filter=0 net.ipv6.conf.eth0.accept_dad=0 ||
		return 1
	_topo_run ip -n "$ns" addr add "${TOPO_ADDR4[$h]}/24" dev eth0 || return 1
	_topo_run ip -n "$ns" addr add "${TOPO_ADDR6[$h]}/64" dev eth0 nodad || return 1
	_topo_run ip -n "$ns" link set dev eth0 up || return 1
	_topo_port_up "p-$h"
}

_topo_client_routes()
{
	local ns="${TOPO_P}c"

	_topo_run ip -n "$ns" route add "$TOPO_VIP4_NET" via "$TOPO_LB4" || return 1
	_topo_run ip -n "$ns" -6 route add "$TOPO_VIP6_NET" via "$TOPO_LB6"
}

# DSR backends: answer ARP only for addresses on the asking interface (not
# the VIPs on lo), announce from the interface's own address.
_topo_backend_sysctls()
{
	local ns="${TOPO_P}$1" k

	for k in all eth0; do
		_topo_sysctl "$ns" "net.ipv4.conf.$k.arp_ignore=1" "net.ipv4.conf.$k.arp_announce=2" \
			"net.ipv4.conf.$k.rp_filter=0" || return 1
	done
	_topo_sysctl "$ns" net.ipv4.conf.lo.rp_filter=0
}

# Wait (up to 5 s) until no IPv6 address is tentative anywhere in the topology.
topo_wait_ipv6()
{
	local i h busy

	for ((i = 0; i < 50; i++)); do
		busy=$(ip -6 addr show dev "$TOPO_LB_IF" tentative 2>/dev/null || true)
		for h in "${TOPO_HOSTS[@]}"; do
			busy+=$(ip -n "${TOPO_P}$h" -6 addr show tentative 2>/dev/null || true)
		done
		[ -z "$busy" ] && return 0
		sleep 0.1
	done
	_topo_err "IPv6 addresses still tentative after 5s"
	return 1
}

_topo_build()
{
	local h

	_topo_switch_up || return 1
	_topo_lb_up || return 1
	for h in "${TOPO_HOSTS[@]}"; do
		_topo_host_up "$h" || return 1
	done
	for h in "${TOPO_BACKENDS[@]}"; do
		_topo_backend_sysctls "$h" || return 1
	done
	_topo_client_routes || return 1
	topo_wait_ipv6
}

# Root-namespace interfaces, other than ours, holding a test address: the
# LB veth of another topology. Every topology puts 198.18.0.1/24 there, so
# two at once share the route to the backends: health checks, ARP and the
# MACs weir learns go to the wrong bridge. Prints their names.
topo_foreign()
{
	{
		ip -4 -o addr show to 198.18.0.0/15
		ip -6 -o addr show to 2001:db8::/32
	} 2>/dev/null | awk '{print $2}' | grep -vx "$TOPO_LB_IF" | sort -u | paste -sd ' '
}

# A topology left by a run that died (its prefix ends in the PID of the
# shell that made it, and that PID is gone) is removed; one whose maker
# still runs is reported, and topo_up refuses to share the addresses.
_topo_reap_stale()
{
	local link prefix pid

	for link in $(topo_foreign); do
		[[ "$link" =~ ^([A-Za-z_]*([0-9]+))lb$ ]] || continue
		prefix="${BASH_REMATCH[1]}"
		pid="${BASH_REMATCH[2]}"
		kill -0 "$pid" 2>/dev/null && continue
		_topo_err "removing topology $prefix left by a run that died (pid $pid)"
		(TOPO_P="$prefix" topo_down)
	done
	link=$(topo_foreign)
	[ -z "$link" ] && return 0
	_topo_err "another topology is up (root-namespace interfaces: $link): it uses the same" \
		"addresses; run the namespace tests, demo and bench one at a time"
	return 1
}

# Build the topology. Fails (and leaves what it made for topo_down) if a
# step fails or if objects with this prefix exist already.
topo_up()
{
	_topo_check_prefix || return 1
	_topo_reap_stale || return 1
	if [ ! -r "$TOPO_PASS_OBJ" ]; then
		_topo_err "XDP_PASS object $TOPO_PASS_OBJ not found (make, or set WEIR_PASS_OBJ)"
		return 1
	fi
	_topo_check_free || return 1
	if ! _topo_build; then
		_topo_err "topology ${TOPO_P} not built; call topo_down to clean up"
		return 1
	fi
}

# A routed hop for IP-in-IP: a router ${P}r on the bridge (198.18.0.254,
# 2001:db8::fe) in front of a second subnet, 198.18.2.0/24 and
# 2001:db8:2::/64, with backends ${P}rb1 (.11) and ${P}rb2 (.12) on a bridge
# of the router's. The LB reaches them through the router; they answer
# the client through it too.
TOPO_ROUTER4=198.18.0.254
TOPO_ROUTER6=2001:db8::fe
declare -gA TOPO_RADDR4=([rb1]=198.18.2.11 [rb2]=198.18.2.12)
declare -gA TOPO_RADDR6=([rb1]=2001:db8:2::11 [rb2]=2001:db8:2::12)

_topo_router_up()
{
	local ns="${TOPO_P}r"

	_topo_ns_add "$ns" || return 1
	_topo_sysctl "$ns" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 || return 1
	_topo_run ip -n "$ns" link add eth0 type veth peer name p-r netns "$TOPO_NS_SW" || return 1
	_topo_run ip netns exec "$ns" ethtool -K eth0 tx off || return 1
	_topo_run ip -n "$ns" addr add "$TOPO_ROUTER4/24" dev eth0 || return 1
	_topo_run ip -n "$ns" addr add "$TOPO_ROUTER6/64" dev eth0 nodad || return 1
	_topo_run ip -n "$ns" link set dev eth0 up || return 1
	_topo_port_up p-r || return 1
	_topo_run ip -n "$ns" link add br1 type bridge stp_state 0 mcast_snooping 0 || return 1
	_topo_run ip -n "$ns" addr add 198.18.2.254/24 dev br1 || return 1
	_topo_run ip -n "$ns" addr add 2001:db8:2::fe/64 dev br1 nodad || return 1
	_topo_run ip -n "$ns" link set dev br1 up
}

_topo_routed_host_up()
{
	local h="$1" ns="${TOPO_P}$1" r="${TOPO_P}r"

	_topo_ns_add "$ns" || return 1
	_topo_run ip -n "$ns" link add eth0 type veth peer name "p-$h" netns "$r" || return 1
	_topo_run ip netns exec "$ns" ethtool -K eth0 tx off gro on || return 1
	_topo_sysctl "$ns" net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.lo.rp_filter=0 || return 1
	_topo_run ip -n "$ns" addr add "${TOPO_RADDR4[$h]}/24" dev eth0 || return 1
	_topo_run ip -n "$ns" addr add "${TOPO_RADDR6[$h]}/64" dev eth0 nodad || return 1
	_topo_run ip -n "$ns" link set dev eth0 up || return 1
	_topo_run ip -n "$ns" route add default via 198.18.2.254 || return 1
	_topo_run ip -n "$ns" -6 route add default via 2001:db8:2::fe || return 1
	_topo_run ip -n "$r" link set dev "p-$h" master br1 || return 1
	_topo_run ip -n "$r" link set dev "p-$h" up
}

# Adds the routed hop to a topology that is up; topo_down removes it.
topo_routed_up()
{
	local h

	_topo_router_up || return 1
	for h in rb1 rb2; do
		_topo_routed_host_up "$h" || return 1
	done
	_topo_run ip route add 198.18.2.0/24 via "$TOPO_ROUTER4" dev "$TOPO_LB_IF" || return 1
	_topo_run ip -6 route add 2001:db8:2::/64 via "$TOPO_ROUTER6" dev "$TOPO_LB_IF"
}

# topo_add_vip ADDR: hold a VIP (198.18.1.x or 2001:db8:1::x) on lo of every
# backend.
topo_add_vip()
{
	local addr="$1" len=32 h

	_topo_in_range "$addr" || return 1
	case "$addr" in *:*) len=128 ;; esac
	for h in "${TOPO_BACKENDS[@]}"; do
		_topo_run ip -n "${TOPO_P}$h" addr add "$addr/$len" dev lo || return 1
	done
}

topo_del_vip()
{
	local addr="$1" len=32 h

	case "$addr" in *:*) len=128 ;; esac
	for h in "${TOPO_BACKENDS[@]}"; do
		ip -n "${TOPO_P}$h" addr del "$addr/$len" dev lo 2>/dev/null || true
	done
	return 0
}

# Remove everything with this prefix: namespaces (with their interfaces,
# hence the veth peers) and root-namespace interfaces. Never fails, also
# under set -e.
topo_down()
{
	local ns link

	_topo_check_prefix 2>/dev/null || return 0
	for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'); do
		if _topo_ours "$link"; then
			ip link del dev "$link" 2>/dev/null || true
		fi
	done
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		if _topo_ours "$ns"; then
			# A run that died leaves its servers inside: end them.
			ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
			ip netns del "$ns" 2>/dev/null || true
		fi
	done
	return 0
}
