#!/usr/bin/env bash
# End-to-end benchmark: weir against the kernel-only alternative.
#
# The namespace topology of tests/netns/lib.sh (client, the LB = root
# namespace veth, 3 backends on a bridge) plus one more host on the bridge,
# ${P}n = 198.18.0.3: a one-arm NAT box with nftables DNAT (numgen inc mod 3)
# and masquerade, the setup an operator would try before an XDP balancer.
# The root namespace's netfilter and sysctls are never touched.
#
# In 5 interleaved rounds (the order of the targets rotates per round):
#   iperf3 TCP throughput (-t 3): through weir, direct to the backend,
#     through DNAT;
#   new TCP connections/s (weir-client, 2000 sequential connects): through
#     weir, direct to one backend, through DNAT.
#
# Usage: bench/e2e.sh [OUT.json]   (default build/bench/e2e.json; run as root)
# Writes a JSON array of rows (median/min/max over the rounds, ratio to a
# baseline, target, met) and prints a summary. Exits non-zero, after the
# cleanup, when a measurement fails.
set -u

BE_SELF_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export WEIR_PREFIX="${WEIR_PREFIX:-be$$}"
# shellcheck source=SCRIPTDIR/../tests/netns/lib.sh
source "$BE_SELF_DIR/../tests/netns/lib.sh"

BE_OUT="${1:-$T_ROOT/build/bench/e2e.json}"
BE_ROUNDS=5
BE_IPERF_SECS=3
BE_CONNS=2000
BE_NS_NAT="${TOPO_P}n"
BE_NAT4=198.18.0.3
BE_VIP2=198.18.2.100
BE_VIP2_NET=198.18.2.0/24
BE_DIRECT=198.18.0.11

be_fail() {
	T_FAILED=1 # read by t_cleanup: show the end of weir.log
	fail "$@"
}

# Our extra: the NAT namespace (topo_down does not know its name; its veth
# peer on the bridge goes with it). Then the lib's cleanup.
be_cleanup() {
	ip netns del "$BE_NS_NAT" 2>/dev/null || true
	t_cleanup
}

be_run() {
	local out

	out=$("$@" 2>&1) || be_fail "$* : $out"
}

# The NAT box, built like topo.sh builds a host: eth0 on the bridge, tx
# checksumming off, rp_filter off; then forwarding and the nft rules.
be_nat_up() {
	local ns="$BE_NS_NAT" k

	if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
		be_fail "namespace $ns exists already"
	fi
	be_run ip netns add "$ns"
	be_run ip -n "$ns" link set dev lo up
	be_run ip -n "$ns" link add eth0 type veth peer name p-n netns "$TOPO_NS_SW"
	be_run ip netns exec "$ns" ethtool -K eth0 tx off gro on
	be_run ip -n "$ns" addr add "$BE_NAT4/24" dev eth0
	be_run ip -n "$ns" link set dev eth0 up
	be_run ip -n "$TOPO_NS_SW" link set dev p-n master br0
	be_run ip -n "$TOPO_NS_SW" link set dev p-n up
	# One-arm: packets leave by the interface they came in on; no ICMP
	# redirects to the client for that.
	for k in all default eth0; do
		be_run ip netns exec "$ns" sysctl -q -w "net.ipv4.conf.$k.rp_filter=0" \
			"net.ipv4.conf.$k.send_redirects=0"
	done
	be_run ip netns exec "$ns" sysctl -q -w net.ipv4.ip_forward=1
	be_run ip netns exec "$ns" nft -f - <<EOF
table ip weirbench {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $BE_VIP2 tcp dport 80 dnat to numgen inc mod 3 map { 0 : 198.18.0.11, 1 : 198.18.0.12, 2 : 198.18.0.13 } : 80
		ip daddr $BE_VIP2 tcp dport 5201 dnat to 198.18.0.11 : 5201
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ct status dnat oifname "eth0" masquerade
	}
}
EOF
	be_run ip -n "${TOPO_P}c" route add "$BE_VIP2_NET" via "$BE_NAT4"
}

# be_listening NS PORT: a TCP listener on PORT in namespace ${P}NS.
be_listening() {
	topo_exec "$1" ss -Hltn "sport = :$2" | grep -q .
}

# be_iperf ADDR: one iperf3 run from the client; prints Mbit/s (1 decimal).
be_iperf() {
	local addr="$1" f="$T_RUN/iperf-$1.json" err

	if ! timeout $((BE_IPERF_SECS + 15)) ip netns exec "${TOPO_P}c" iperf3 -c "$addr" -p 5201 \
		-t "$BE_IPERF_SECS" --connect-timeout 2000 -J >"$f" 2>"$f.err"; then
		err=$(jq -r '.error // empty' "$f" 2>/dev/null)
		be_fail "iperf3 to $addr:5201 failed: ${err:-$(cat "$f.err")}"
	fi
	jq -e '.end.sum_received.bits_per_second / 1e6 * 10 | round / 10' "$f" 2>/dev/null ||
		be_fail "iperf3 to $addr:5201: no end.sum_received in its report" \
			"($(jq -r '.error // "no error given"' "$f" 2>/dev/null))"
}

# be_conns ADDR: 2000 sequential new TCP connections to ADDR:80 from the
# client; prints "CONN_PER_S FAILED".
be_conns() {
	local addr="$1" out

	out=$(timeout 40 ip netns exec "${TOPO_P}c" "$CLIENT" --tcp --addr "$addr" --port 80 \
		--count "$BE_CONNS" --timeout-ms 1000 --deadline-s 30 --json 2>/dev/null)
	echo "$out" | jq -e --argjson n "$BE_CONNS" '.attempts == $n and .elapsed_ms > 0' \
		>/dev/null || be_fail "weir-client to $addr:80 did not complete: ${out:-no output}"
	echo "$out" | jq -r '"\(.attempts * 1000 / .elapsed_ms | round) \(.failed)"'
}

# be_stats V...: {"median","min","max"} of the values.
be_stats() {
	jq -cn '$ARGS.positional | map(tonumber) | sort |
		{median: (if length % 2 == 1 then .[length / 2 | floor]
			else (.[length / 2 - 1] + .[length / 2]) / 2 end),
		 min: .[0], max: .[-1]}' --args "$@"
}

# be_row NAME UNIT BASELINE_NAME TARGET(JSON) CMP(jq on the ratio r, or "") SAMPLES...
# Reads BE_MEDIAN[BASELINE_NAME]; prints the row.
declare -A BE_MEDIAN=()
be_row() {
	local name="$1" unit="$2" bname="$3" target="$4" cmp="$5" st

	shift 5
	st=$(be_stats "$@")
	BE_MEDIAN[$name]=$(echo "$st" | jq '.median')
	jq -cn --arg name "$name" --arg unit "$unit" --arg bname "$bname" \
		--argjson st "$st" --argjson bmed "${BE_MEDIAN[$bname]}" \
		--argjson target "$target" --arg cmp "$cmp" '
		($st.median / $bmed * 1000 | round / 1000) as $r |
		{section: "e2e", name: $name, unit: $unit, median: $st.median,
		 min: $st.min, max: $st.max, baseline_name: $bname,
		 baseline_median: $bmed, ratio: $r, target: $target,
		 met: (if $cmp == "" then null
		       elif $cmp == ">=0.9" then $r >= 0.9 else $r > 1 end),
		 samples: $ARGS.positional | map(tonumber)}' --args "$@"
}

# --- setup -----------------------------------------------------------------

command -v nft >/dev/null || fail "nft (nftables) is needed"
command -v iperf3 >/dev/null || fail "iperf3 is needed"
mkdir -p "$(dirname "$BE_OUT")" || fail "cannot create $(dirname "$BE_OUT")"
BE_START=$SECONDS
t_setup
trap 'be_cleanup' EXIT

t_echo_servers
t_bg b1 iperf3 -s -p 5201 >/dev/null 2>&1
be_nat_up
t_weir_start "$(t_config_header)
services:
$(t_bulk_service 198.18.0.11)
$(t_service web "$VIP4" 80 tcp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)"
t_wait_for 5 be_listening b1 5201 || be_fail "iperf3 server on b1 not listening"
t_wait_usable bulk 1
t_wait_usable web 3

# Both paths spread connections over b1, b2, b3 before we measure them.
for addr in "$VIP4" "$BE_VIP2"; do
	out=$(t_clients tcp "$addr" 80 6) || be_fail "connections to $addr:80 failed: $out"
	for b in b1 b2 b3; do
		[ "$(echo "$out" | jq ".replies.$b // 0")" -ge 1 ] ||
			be_fail "$addr:80 reached no $b: $out"
	done
	t_log "check $addr:80: $out"
done

# --- rounds ----------------------------------------------------------------

declare -A IP_ADDR=([weir]="$VIP4" [direct]="$BE_DIRECT" [dnat]="$BE_VIP2")
declare -A IP_VAL=([weir]="" [direct]="" [dnat]="")
declare -A CN_VAL=([weir]="" [direct]="" [dnat]="")
declare -A CN_FAILED=([weir]=0 [direct]=0 [dnat]=0)
BE_ORDER=(weir direct dnat)

# Unmeasured warm-up of every path (neighbour entries, the NAT box's
# conntrack, weir's stream table): the first connection run after the
# setup was seen slower than the later ones.
for t in "${BE_ORDER[@]}"; do
	be_conns "${IP_ADDR[$t]}" >/dev/null || exit 1
done

echo "e2e: $BE_ROUNDS rounds; iperf3 -t $BE_IPERF_SECS (Mbit/s), $BE_CONNS new TCP connections (conn/s)"
for ((r = 0; r < BE_ROUNDS; r++)); do
	order=()
	for ((i = 0; i < 3; i++)); do
		order+=("${BE_ORDER[(r + i) % 3]}")
	done
	line="  round $((r + 1)) [${order[*]}]:"
	for t in "${order[@]}"; do
		v=$(be_iperf "${IP_ADDR[$t]}") || exit 1
		IP_VAL[$t]+="$v "
		line+=" iperf $t=$v"
	done
	for t in "${order[@]}"; do
		res=$(be_conns "${IP_ADDR[$t]}") || exit 1
		read -r v nf <<<"$res"
		CN_VAL[$t]+="$v "
		CN_FAILED[$t]=$((CN_FAILED[$t] + nf))
		line+=" conn $t=$v"
		[ "$nf" = 0 ] || line+="(failed $nf)"
	done
	echo "$line"
done

other=$(topo_foreign)
[ -z "$other" ] || be_fail "another test topology came up during the measurement" \
	"(root-namespace interfaces: $other): the figures are not valid"

# --- rows ------------------------------------------------------------------

N_IP_W="iperf3 TCP through weir"
N_IP_N="iperf3 TCP through nftables DNAT"
N_IP_D="iperf3 TCP direct to backend"
N_CN_W="new TCP connections/s through weir"
N_CN_N="new TCP connections/s through nftables DNAT"
N_CN_D="new TCP connections/s direct to backend"

# Baselines first: a row's ratio needs its baseline's median.
# shellcheck disable=SC2086 # the value lists split into samples
{
	BE_MEDIAN[$N_IP_D]=$(be_stats ${IP_VAL[direct]} | jq '.median')
	BE_MEDIAN[$N_CN_D]=$(be_stats ${CN_VAL[direct]} | jq '.median')
	BE_MEDIAN[$N_CN_N]=$(be_stats ${CN_VAL[dnat]} | jq '.median')
	rows=(
		"$(be_row "$N_IP_W" Mbit/s "$N_IP_D" '"within 10% of direct (ratio >= 0.9)"' '>=0.9' ${IP_VAL[weir]})"
		"$(be_row "$N_IP_N" Mbit/s "$N_IP_D" null "" ${IP_VAL[dnat]})"
		"$(be_row "$N_IP_D" Mbit/s "$N_IP_D" null "" ${IP_VAL[direct]})"
		"$(be_row "$N_CN_W" conn/s "$N_CN_N" '"above DNAT (ratio > 1)"' '>1' ${CN_VAL[weir]})"
		"$(be_row "$N_CN_N" conn/s "$N_CN_D" null "" ${CN_VAL[dnat]})"
		"$(be_row "$N_CN_D" conn/s "$N_CN_D" null "" ${CN_VAL[direct]})"
	)
}
for row in "${rows[@]}"; do
	[ -n "$row" ] || be_fail "could not build the result rows"
done

# Failed connection attempts are reported with their row; a failure through
# weir means its target is not met.
json=$(printf '%s\n' "${rows[@]}" | jq -s \
	--argjson fw "${CN_FAILED[weir]}" --argjson fn "${CN_FAILED[dnat]}" \
	--argjson fd "${CN_FAILED[direct]}" --arg nw "$N_CN_W" --arg nn "$N_CN_N" --arg nd "$N_CN_D" '
	map(if .name == $nw then .failed_connections = $fw | (if $fw > 0 then .met = false else . end)
	    elif .name == $nn then .failed_connections = $fn
	    elif .name == $nd then .failed_connections = $fd else . end)') ||
	be_fail "could not assemble the JSON"
echo "$json" >"$BE_OUT" || be_fail "cannot write $BE_OUT"

echo "$json" | jq -r '.[] | "  \(.name): median \(.median) \(.unit) (min \(.min), max \(.max))" +
	(if .name != .baseline_name then ", ratio \(.ratio) to \(.baseline_name)" else "" end) +
	(if .target != null then "; target \(.target): \(if .met then "met" else "NOT met" end)" else "" end) +
	(if (.failed_connections // 0) > 0 then "; \(.failed_connections) failed connections" else "" end)'
echo "e2e: wrote $BE_OUT ($((SECONDS - BE_START)) s)"
