#!/usr/bin/env bash
# The metrics test: `weir run` without an interface (the maps load, nothing
# is attached, no namespace), its /metrics page checked by promtool and
# scraped by a real Prometheus, its statsD push checked line by line
# against the page, and the Grafana dashboard's queries checked against
# what weir exports and run by that Prometheus. Everything listens on
# 127.0.0.1, on ports free at the start; every process it starts is ended
# by its PID on every exit path.
set -u

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WEIR="$ROOT/build/weir"
CHECK="$ROOT/tests/metrics/check.py"
DASHBOARD="$ROOT/contrib/grafana/weir.json"
RUN="/tmp/weir-metrics-$$"
PIN="/sys/fs/bpf/weir-metrics-$$"
SOCK="$RUN/weir.sock"
WEIR_PID="" LISTEN_PID="" PROM_PID=""
passed=0

log() { echo "  $*"; }
fail() {
	echo "FAIL: $*" >&2
	[ -f "$RUN/weir.log" ] && sed 's/^/  weir.log: /' "$RUN/weir.log" | tail -20 >&2
	[ -f "$RUN/prometheus.log" ] && sed 's/^/  prometheus.log: /' "$RUN/prometheus.log" | tail -10 >&2
	echo "metrics-test: $passed passed, 1 failed"
	exit 1
}
ok() {
	passed=$((passed + 1))
	log "ok: $*"
}

# Ends a process by its PID: TERM, up to 5 s, then KILL.
stop_pid() {
	local pid="$1" i

	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

cleanup() {
	if [ -n "$WEIR_PID" ] && kill -0 "$WEIR_PID" 2>/dev/null; then
		timeout 5 "$WEIR" --socket "$SOCK" shutdown >/dev/null 2>&1
	fi
	stop_pid "$WEIR_PID"
	stop_pid "$LISTEN_PID"
	stop_pid "$PROM_PID"
	rm -rf "$RUN" "$PIN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits up to $1 tenths of a second for a command to succeed.
wait_for() {
	local tries="$1" i
	shift
	for i in $(seq "$tries"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

for tool in curl promtool prometheus python3 bpftool; do
	command -v "$tool" >/dev/null || fail "$tool is missing (make deps)"
done
[ -x "$WEIR" ] || fail "$WEIR is missing (make all)"
mkdir -p "$RUN"
M_PORT="$("$CHECK" port)" S_PORT="$("$CHECK" port)" P_PORT="$("$CHECK" port)"
URL="http://127.0.0.1:$M_PORT/metrics"
PREFIX="wt$$."

# ---- weir run, with statsD every 200 ms ----
"$CHECK" listen "$S_PORT" "$RUN/statsd.json" &
LISTEN_PID=$!
wait_for 50 test -f "$RUN/statsd.json.ready" || fail "the statsD listener did not start"
cat >"$RUN/weir.yaml" <<EOF2
metrics-listen: 127.0.0.1:$M_PORT
statsd: 127.0.0.1:$S_PORT
statsd-interval: 200ms
statsd-prefix: "$PREFIX"
services:
  - name: web
    vip: 198.18.1.100
    port: 80
    proto: tcp
    health: {enabled: false}
    capacity-streams: 10
    capacity-rate: 100mbit
    classes:
      - {name: vip, match: 198.18.7.0/24, min: 4mbit, max: 16mbit, priority: 7}
    backends:
      - {addr: 198.18.0.11, mac: "02:00:00:00:00:11"}
      - {addr: 198.18.0.12, mac: "02:00:00:00:00:12", weight: 2}
  - name: dns6
    vip: 2001:db8:1::53
    port: 53
    proto: udp
    backends:
      - {addr: 2001:db8::11, mac: "02:00:00:00:00:21", paused: true}
EOF2
"$WEIR" run -c "$RUN/weir.yaml" --socket "$SOCK" --pin-dir "$PIN" >"$RUN/weir.log" 2>&1 &
WEIR_PID=$!
wait_for 100 curl -sf "$URL" || fail "no $URL within 10 s"
ok "weir run without an interface serves $URL"

# ---- the page ----
curl -sf "$URL" >"$RUN/page.txt" || fail "GET /metrics"
promtool check metrics <"$RUN/page.txt" >"$RUN/promtool.txt" 2>&1 ||
	fail "promtool check metrics: $(cat "$RUN/promtool.txt")"
ok "promtool check metrics: no problem"
has() { grep -qxF "$1" "$RUN/page.txt" || fail "the page lacks: $1"; }
has 'weir_build_info{version="0.1.0"} 1'
has 'weir_service_capacity_streams{service="web"} 10'
has 'weir_service_capacity_bytes_per_second{service="web"} 12500000'
has 'weir_class_allocation_bytes_per_second{service="web",class="vip"} 2000000'
has 'weir_class_priority{service="web",class="vip"} 7'
has 'weir_backend_weight{service="web",backend="198.18.0.12"} 2'
has 'weir_backend_usable{service="dns6",backend="2001:db8::11"} 0'
has 'weir_service_usable_backends{service="dns6"} 0'
has 'weir_service_refused_streams_total{service="web",reason="capacity"} 0'
has 'weir_reason_packets_total{reason="no_stream"} 0'
grep -q '^weir_loop_duration_seconds_bucket{le="+Inf"} [1-9]' "$RUN/page.txt" ||
	fail "the loop histogram counted no update"
ok "the page holds the config's figures (capacity, classes, backends, reasons, loop)"

# The per-CPU counters of a backend: bpftool writes the value on every CPU,
# the page gives their sum.
be_id="$("$WEIR" --socket "$SOCK" --json backend list web |
	python3 -c 'import json,sys; print([b["id"] for b in json.load(sys.stdin) if b["addr"] == "198.18.0.11"][0])')" ||
	fail "backend list"
cpus=$(python3 -c 'import os; print(len(os.sched_getaffinity(0)))')
possible=$(awk -F- '{print ($2 == "" ? 1 : $2 + 1)}' /sys/devices/system/cpu/possible)
value=$(python3 -c "import struct; print(struct.pack('<8Q', 617, 61700, 3, 1, 0, 0, 0, 0).hex(' '))")
key=$(python3 -c "import struct; print(struct.pack('<I', $be_id).hex(' '))")
# shellcheck disable=SC2086
bpftool map update pinned "$PIN/weir_backend_stats" key hex $key value hex $value ||
	fail "bpftool map update"
want="weir_backend_packets_total{service=\"web\",backend=\"198.18.0.11\"} $((617 * possible))"
wait_for 20 grep -qxF "$want" <(curl -sf "$URL") || fail "the page lacks: $want"
ok "per-CPU counters summed over $possible CPUs ($cpus online): $want"

# ---- HTTP ----
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "http://127.0.0.1:$M_PORT/nothing")" = 404 ] || fail "GET /nothing is not 404"
[ "$(code -X POST -d x "$URL")" = 405 ] || fail "POST /metrics is not 405"
[ "$(code -I "$URL")" = 200 ] || fail "HEAD /metrics is not 200"
curl -sI "$URL" | grep -qi '^content-type: text/plain; version=0.0.4' ||
	fail "no exposition content type"
ok "404 for other paths, 405 for POST, HEAD, the exposition's content type"

# An address asked for and taken: weir run says so and does not start.
sed "s/^statsd.*//" "$RUN/weir.yaml" >"$RUN/taken.yaml"
if timeout 20 "$WEIR" run -c "$RUN/taken.yaml" --socket "$RUN/taken.sock" \
	--pin-dir "$PIN-taken" >"$RUN/taken.log" 2>&1; then
	rm -rf "$PIN-taken"
	fail "a second weir run on a taken metrics-listen started"
fi
rm -rf "$PIN-taken"
grep -q "metrics: cannot serve http://127.0.0.1:$M_PORT/metrics" "$RUN/taken.log" ||
	fail "no message for the taken address: $(cat "$RUN/taken.log")"
# The running controller keeps its metrics settings: a file that changes
# them is refused.
"$WEIR" --socket "$SOCK" config dump | sed "s/^statsd-interval: .*/statsd-interval: 5s/" >"$RUN/changed.yaml"
if "$WEIR" --socket "$SOCK" config load "$RUN/changed.yaml" >"$RUN/load.txt" 2>&1; then
	fail "config load changed statsd-interval"
fi
grep -q "change only with a restart" "$RUN/load.txt" || fail "config load: $(cat "$RUN/load.txt")"
"$WEIR" --socket "$SOCK" config dump >"$RUN/same.yaml"
"$WEIR" --socket "$SOCK" config load "$RUN/same.yaml" >/dev/null || fail "config load of a dump"
ok "a taken metrics-listen stops weir run; config load keeps metrics settings"

# ---- statsD ----
sleep 1 # five pushes after the counters were written
stop_pid "$LISTEN_PID"
LISTEN_PID=""
curl -sf "$URL" >"$RUN/page2.txt" || fail "GET /metrics"
"$CHECK" statsd "$RUN/statsd.json" "$RUN/page2.txt" "$PREFIX" || fail "statsd"
ok "statsD: every line parses, names the page's series, counters add up"

# ---- a real Prometheus ----
mkdir -p "$RUN/prometheus"
cat >"$RUN/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: weir
    static_configs:
      - targets: ["127.0.0.1:$M_PORT"]
EOF2
prometheus --config.file="$RUN/prometheus.yml" --storage.tsdb.path="$RUN/prometheus" \
	--web.listen-address="127.0.0.1:$P_PORT" >"$RUN/prometheus.log" 2>&1 &
PROM_PID=$!
API="http://127.0.0.1:$P_PORT/api/v1"
query() { curl -sf -G "$API/query" --data-urlencode "query=$1"; }
value_is() {
	query "$1" | python3 -c "import json,sys
r = json.load(sys.stdin)['data']['result']
sys.exit(0 if r and float(r[0]['value'][1]) == float('$2') else 1)"
}
wait_for 600 value_is 'up{job="weir"}' 1 || fail "Prometheus: up{job=\"weir\"} is not 1 within 60 s"
ok "Prometheus scrapes weir: up{job=\"weir\"} = 1"
wait_for 100 value_is 'weir_backend_packets_total{backend="198.18.0.11"}' $((617 * possible)) ||
	fail "Prometheus: weir_backend_packets_total is not $((617 * possible))"
ok "Prometheus has weir_backend_packets_total{backend=\"198.18.0.11\"} = $((617 * possible))"

# ---- the dashboard ----
"$CHECK" dashboard "$DASHBOARD" "$RUN/page2.txt" >"$RUN/queries.txt" || fail "dashboard"
while IFS= read -r q; do
	status=$(query "$q" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])') ||
		fail "Prometheus refused the dashboard's query: $q"
	[ "$status" = success ] || fail "dashboard query: $q: $status"
done <"$RUN/queries.txt"
ok "the dashboard's $(wc -l <"$RUN/queries.txt") queries name only weir's families and run in Prometheus"
stop_pid "$PROM_PID"
PROM_PID=""

echo "metrics-test: $passed passed, 0 failed"
