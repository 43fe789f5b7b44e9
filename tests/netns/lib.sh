# shellcheck shell=bash
# Shared by the namespace tests: topology, weir, servers, assertions and
# one cleanup path (trap) that ends what the test started by its PID,
# removes the namespaces, the XDP attachment and the pins. Names carry the
# per-run prefix WEIR_PREFIX, so a crashed run never breaks the next.
set -u

T_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WEIR="$T_ROOT/build/weir"
ECHO_SRV="$T_ROOT/build/tools/weir-echo"
CLIENT="$T_ROOT/build/tools/weir-client"
STREAMS="$T_ROOT/build/tools/weir-streams"
SINK="$T_ROOT/build/tools/weir-sink"
export WEIR_PREFIX="${WEIR_PREFIX:-t$$}"
# shellcheck source=../../scripts/topo.sh
source "$T_ROOT/scripts/topo.sh"
T_RUN="/tmp/weir-test-$TOPO_P"
T_PIN="/sys/fs/bpf/weir-test-$TOPO_P"
T_SOCK="$T_RUN/weir.sock"
T_PIDS=()
T_LAST_PID=""
WEIR_PID=""
VIP4=198.18.1.100
VIP6=2001:db8:1::100

t_log() { echo "  $*"; }
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

t_cleanup() {
	local pid

	if [ -n "$WEIR_PID" ] && kill -0 "$WEIR_PID" 2>/dev/null; then
		"$WEIR" --socket "$T_SOCK" shutdown >/dev/null 2>&1 || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$WEIR_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$WEIR_PID" 2>/dev/null || true
	fi
	for pid in "${T_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${T_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	topo_down
	rm -rf "$T_PIN"
	if [ "${T_KEEP_LOG:-0}" = 1 ] || [ -n "${T_FAILED:-}" ]; then
		[ -f "$T_RUN/weir.log" ] && sed 's/^/  weir.log: /' "$T_RUN/weir.log" | tail -20
	fi
	rm -rf "$T_RUN"
}

# What a test run that died left (its prefix ends in its PID, now gone):
# its controller is shut down through its socket (detach, unpin), then its
# run and pin directories go. topo_up reaps its namespaces and veth.
t_reap_stale() {
	local dir prefix

	for dir in /tmp/weir-test-* /sys/fs/bpf/weir-test-*; do
		[ -e "$dir" ] || continue
		prefix="${dir##*/weir-test-}"
		[[ "$prefix" =~ [0-9]+$ ]] || continue
		kill -0 "${BASH_REMATCH[0]}" 2>/dev/null && continue
		[ -S "$dir/weir.sock" ] && timeout 5 "$WEIR" --socket "$dir/weir.sock" shutdown >/dev/null 2>&1
		rm -rf "$dir"
	done
}

t_setup() {
	t_reap_stale
	mkdir -p "$T_RUN"
	trap 't_cleanup' EXIT
	trap 'exit 130' INT TERM
	topo_up || fail "topology did not come up"
	topo_add_vip "$VIP4" || fail "VIP $VIP4"
	topo_add_vip "$VIP6" || fail "VIP $VIP6"
}

# t_bg NS CMD...: start CMD in namespace NS (c, b1..b3; - for this one,
# the LB's) in the background, stdin from /dev/null. Its PID is kept for
# the cleanup and left in T_LAST_PID.
t_bg() {
	local ns="$1"

	shift
	if [ "$ns" = - ]; then
		"$@" &
	else
		ip netns exec "${TOPO_P}${ns}" "$@" &
	fi
	T_LAST_PID=$!
	T_PIDS+=("$T_LAST_PID")
}

# Echo servers answering their name: TCP on 80 and 81, UDP on 53; their
# PIDs in T_ECHO by backend and port ("b3:80").
declare -gA T_ECHO=()
# shellcheck disable=SC2034 # T_ECHO is read by the tests
t_echo_servers() {
	local b

	for b in b1 b2 b3; do
		t_bg "$b" "$ECHO_SRV" --tcp --port 80 --name "$b"
		T_ECHO["$b:80"]=$T_LAST_PID
		t_bg "$b" "$ECHO_SRV" --tcp --port 81 --name "$b"
		T_ECHO["$b:81"]=$T_LAST_PID
		t_bg "$b" "$ECHO_SRV" --udp --port 53 --name "$b"
		T_ECHO["$b:53"]=$T_LAST_PID
	done
}

w() { "$WEIR" --socket "$T_SOCK" "$@"; }

# t_json FILTER ARGS...: `weir --json ARGS` succeeds and satisfies the jq
# FILTER. A function, so t_wait_for takes it without bash -c and its
# quoting. (jq 1.6 -e exits 0 on empty input: the output is checked.)
t_json() {
	local out

	out=$(w --json "${@:2}") && [ -n "$out" ] && jq -e "$1" >/dev/null <<<"$out"
}

# t_weir_start CONFIG_TEXT [BINARY]: write the config and start `weir run`
# (of BINARY, $WEIR by default) on the LB's veth; waits for its socket.
t_weir_start() {
	local bin="${2:-$WEIR}"

	printf '%s\n' "$1" >"$T_RUN/weir.yaml"
	"$bin" run -c "$T_RUN/weir.yaml" -i "$TOPO_LB_IF" --socket "$T_SOCK" \
		--pin-dir "$T_PIN" >>"$T_RUN/weir.log" 2>&1 &
	WEIR_PID=$!
	t_wait_for 5 w status || fail "$bin run did not answer on $T_SOCK"
}

# t_wait_for SECONDS CMD...: retry CMD every 100 ms until it succeeds.
t_wait_for() {
	local deadline=$((SECONDS + $1))

	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# All backends of SERVICE usable (health up, MAC known, not paused).
t_usable() {
	local svc="$1" want="$2"

	[ "$(w --json service show "$svc" | jq '.usable')" = "$want" ]
}

t_wait_usable() {
	t_wait_for 6 t_usable "$1" "$2" || fail "service $1: not $2 usable backends: $(w backend list "$1")"
}

# t_clients PROTO ADDR PORT COUNT: bounded client run from the client
# namespace; prints its JSON. UDP attempts get distinct source ports: the
# kernel may hand a closed UDP socket's port to the next one, and the same
# 5-tuple is, rightly, the same stream.
t_clients() {
	local sport=()

	[ "$1" = udp ] && sport=(--sport-base 20000)
	ip netns exec "${TOPO_P}c" "$CLIENT" "--$1" --addr "$2" --port "$3" --count "$4" \
		--timeout-ms 1000 --deadline-s 60 "${sport[@]}" --json
}

# t_expect_split JSON NAME=COUNT...: exact replies per backend, no failure.
t_expect_split() {
	local json="$1" pair name want got

	shift
	[ "$(echo "$json" | jq '.failed')" = 0 ] || fail "failed attempts: $json"
	for pair in "$@"; do
		name="${pair%%=*}"
		want="${pair#*=}"
		got=$(echo "$json" | jq ".replies.$name // 0")
		[ "$got" = "$want" ] || fail "backend $name: $got replies, expected $want ($json)"
	done
}

# Backend counter from `weir backend list --json`.
t_backend_counter() {
	w --json backend list "$1" | jq ".[] | select(.addr == \"$2\") | .$3"
}

t_config_header() {
	echo "update-interval: 100ms"
}

# t_service NAME VIP PORT PROTO STEERING HEALTH_PORT BACKEND[=WEIGHT]...:
# one entry of a config's services list ("-" for HEALTH_PORT: the default).
t_service() {
	local name="$1" vip="$2" port="$3" proto="$4" steering="$5" health_port="$6" b

	shift 6
	printf '  - name: %s\n    vip: %s\n    port: %s\n    proto: %s\n    steering: %s\n' \
		"$name" "$vip" "$port" "$proto" "$steering"
	[ "$health_port" = - ] || printf '    health:\n      port: %s\n' "$health_port"
	echo "    backends:"
	for b in "$@"; do
		printf '      - addr: %s\n' "${b%%=*}"
		[[ "$b" == *=* ]] && printf '        weight: %s\n' "${b#*=}"
	done
	return 0
}

# The iperf3 service: health checks go to the echo server on port 80 (see
# t_iperf_server).
t_bulk_service() {
	t_service bulk "$VIP4" 5201 tcp round-robin 80 "$@"
}

# t_iperf_server NS: an iperf3 server on port 5201, and an echo server on
# 80 for the health checks: iperf3 takes every connection for a test
# client, so a probe of its own port can collide with a real test.
t_iperf_server() {
	t_bg "$1" iperf3 -s -p 5201 >/dev/null 2>&1
	t_bg "$1" "$ECHO_SRV" --tcp --port 80 --name "$1"
}

# Mean received throughput in Mbit/s from an iperf3 -J report.
t_iperf_mbps() {
	jq '.end.sum_received.bits_per_second / 1e6 | floor' "$1"
}

# t_sinks PROTO PORT: a weir-sink on every backend; t_sinks_stop PORT
# ends them and fails the test if one wrote no report (it runs in the
# test's shell: it waits for them, and a fail there ends the test, where
# one in t_sinks_json's $(...) or pipe would end only that subshell);
# then t_sinks_json PORT prints their reports, one JSON per line.
declare -gA T_SINKS=()
t_sinks() {
	local b

	for b in b1 b2 b3; do
		t_bg "$b" "$SINK" "--$1" --port "$2" --name "$b" --out "$T_RUN/sink-$b-$2.json"
		T_SINKS["$b-$2"]=$T_LAST_PID
	done
}

t_sinks_stop() {
	local b pid

	for b in b1 b2 b3; do
		pid="${T_SINKS["$b-$1"]}"
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		[ -s "$T_RUN/sink-$b-$1.json" ] || fail "sink $b:$1 wrote no report"
	done
}

t_sinks_json() {
	local b

	for b in b1 b2 b3; do
		cat "$T_RUN/sink-$b-$1.json"
	done
}

# Bytes a peer (ADDR:PORT) sent, over every sink's report (stdin); and its
# rate in bit/s over the time it sent.
t_peer_bytes() {
	jq -s --arg p "$1" '[.[].peers[] | select(.peer == $p) | .bytes] | add // 0'
}

t_peer_bps() {
	jq -s --arg p "$1" '[.[].peers[] | select(.peer == $p) | .bps] | add // 0 | floor'
}

# t_streams NS ARGS...: weir-streams in a host namespace (c by default).
t_streams() {
	local ns="$1"

	shift
	ip netns exec "${TOPO_P}$ns" "$STREAMS" "$@"
}
