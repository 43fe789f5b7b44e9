#!/usr/bin/env bash
# The overload demo: three backends of fixed capacity (weir-queue-server:
# WORKERS requests at a time for SERVICE_MS each, the rest queue), a
# bounded open-loop load generator (weir-load) opening new connections,
# one request each, at twice the total capacity for SECONDS, first with
# admission off, then with PIE. Writes per-second tables and a PNG
# (gnuplot) of both runs side by side into OUT (default
# build/overload-demo), and a summary.json the namespace test reads.
#
#   scripts/overload-demo.sh [--seconds S] [--off-seconds S] [--out DIR]
#
# Environment: WORKERS (2), SERVICE_MS (10), TARGET (20ms).
set -u
export WEIR_PREFIX="${WEIR_PREFIX:-wo$$}"
source "$(dirname "$0")/../tests/netns/lib.sh"

SECONDS_ON=20
SECONDS_OFF=20
OUT="$T_ROOT/build/overload-demo"
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) SECONDS_ON="$2" SECONDS_OFF="$2"; shift 2 ;;
	--on-seconds) SECONDS_ON="$2"; shift 2 ;;
	--off-seconds) SECONDS_OFF="$2"; shift 2 ;;
	--out) OUT="$2"; shift 2 ;;
	*) echo "usage: $0 [--seconds S] [--on-seconds S] [--off-seconds S] [--out DIR]" >&2; exit 2 ;;
	esac
done
WORKERS="${WORKERS:-2}"
SERVICE_MS="${SERVICE_MS:-10}"
TARGET="${TARGET:-20ms}"
QUEUE_SRV="$T_ROOT/build/tools/weir-queue-server"
LOAD="$T_ROOT/build/tools/weir-load"
# requests a second the three backends complete at most, and twice that
CAPACITY=$((3 * WORKERS * 1000 / SERVICE_MS))
RATE=$((2 * CAPACITY))
mkdir -p "$OUT"

say() { printf '\n### %s\n' "$*"; }

t_setup
for b in b1 b2 b3; do
	t_bg "$b" "$QUEUE_SRV" --port 80 --workers "$WORKERS" --service-ms "$SERVICE_MS" \
		--name "$b" --probe-path /probe --out /dev/null
done
t_weir_start "$(t_config_header)
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    refuse: reset
    refuse-rate: 100000
    admission: off
    delay-target: $TARGET
    probe: http:/probe
    backends: [{addr: 198.18.0.11}, {addr: 198.18.0.12}, {addr: 198.18.0.13}]"
t_wait_usable web 3

# run MODE SECONDS TIMEOUT_MS: one load run, its JSON in $OUT/MODE.json.
run() {
	local mode="$1" secs="$2" timeout="$3"

	w service set web --admission "$mode" >/dev/null || fail "admission $mode"
	# a clean start: the queues of the previous run drained, PIE at 0
	sleep 2
	say "admission $mode: $RATE new connections/s for ${secs}s (capacity $CAPACITY/s)"
	ip netns exec "${TOPO_P}c" "$LOAD" --addr "$VIP4" --port 80 \
		--rate "$RATE" --seconds "$secs" --timeout-ms "$timeout" --path / \
		--max-outstanding 18000 --json >"$OUT/$mode.json" || fail "weir-load ($mode)"
	w service show web | grep -E "^overload"
	w --json service show web >"$OUT/$mode-service.json"
	jq -r '"  offered \(.offered), ok \(.ok), refused \(.refused), timeout \(.timeout), ok/s \(.throughput_ok_per_s)"' "$OUT/$mode.json"
}

# table MODE: per second offered, admitted, refused, p50/p99, refusal time.
table() {
	printf '%-4s %8s %8s %8s %9s %9s %11s\n' s offered ok refused p50_ms p99_ms refusal_ms
	jq -r '.per_second[] | [.t, .offered, .ok, .refused,
		(.p50_ms // "-"), (.p99_ms // "-"), (.refusal_p99_ms // "-")] | @tsv' "$OUT/$1.json" |
		awk -F'\t' '{ printf "%-4s %8s %8s %8s %9s %9s %11s\n", $1, $2, $3, $4, $5, $6, $7 }'
}

run off "$SECONDS_OFF" $((SECONDS_OFF * 1000 + 5000))
run pie "$SECONDS_ON" 5000
table off >"$OUT/off.txt"
table pie >"$OUT/pie.txt"
# side by side, for the README
{
	printf '%-3s | %-33s | %s\n' "" "admission off" "admission pie"
	printf '%-3s | %6s %6s %9s %9s | %6s %7s %7s %7s %10s\n' s opened served p50_ms p99_ms served refused p50_ms p99_ms refusal_ms
	jq -r --slurpfile pie "$OUT/pie.json" '.per_second as $off | range(0; [($off | length), ($pie[0].per_second | length)] | min) |
		. as $i | $off[$i] as $o | $pie[0].per_second[$i] as $p |
		[$i, $o.offered, $o.ok, ($o.p50_ms // "-"), ($o.p99_ms // "-"), $p.ok, $p.refused,
		 ($p.p50_ms // "-"), ($p.p99_ms // "-"), ($p.refusal_p99_ms // "-")] | @tsv' "$OUT/off.json" |
		awk -F'\t' 'function f(v, d) { return v == "-" ? "-" : sprintf("%." d "f", v) }
			{ printf "%-3s | %6s %6s %9s %9s | %6s %7s %7s %7s %10s\n", $1, $2, $3, f($4, 0), f($5, 0),
			  $6, $7, f($8, 1), f($9, 1), f($10, 2) }'
} >"$OUT/table.txt"
say "per second"
cat "$OUT/table.txt"

jq -n --slurpfile off "$OUT/off.json" --slurpfile pie "$OUT/pie.json" \
	--argjson capacity "$CAPACITY" --argjson rate "$RATE" --arg target "$TARGET" '{
	capacity: $capacity, rate: $rate, target: $target,
	off: { ok_per_s: $off[0].throughput_ok_per_s, p50_ms: $off[0].latency_ms.p50,
	       p99_ms: $off[0].latency_ms.p99, refused: $off[0].refused, timeout: $off[0].timeout },
	pie: { ok_per_s: $pie[0].throughput_ok_per_s, p50_ms: $pie[0].latency_ms.p50,
	       p99_ms: $pie[0].latency_ms.p99, refused: $pie[0].refused, timeout: $pie[0].timeout,
	       refusal_p99_ms: $pie[0].refusal_ms.p99,
	       # once PIE has settled: the second half of the run
	       settled: ($pie[0].per_second | .[(length / 2 | floor):] |
		{ p99_ms_max: (map(.p99_ms) | max), ok_per_s: (map(.ok) | add / length),
		  refusal_p99_ms_max: (map(.refusal_p99_ms // 0) | max) }) } }' >"$OUT/summary.json"
say "summary"
cat "$OUT/summary.json"

if command -v gnuplot >/dev/null; then
	for m in off pie; do
		jq -r '.per_second[] | [.t, .offered, .ok, .refused, (.p50_ms // "NaN"),
			(.p99_ms // "NaN")] | @tsv' "$OUT/$m.json" >"$OUT/$m.dat"
	done
	gnuplot <<EOF || echo "gnuplot failed; the tables above hold the figures"
set terminal pngcairo size 1200,800 font ",10"
set output "$OUT/overload.png"
set multiplot layout 2,2 title "weir: $RATE new connections/s offered to 3 backends of $CAPACITY/s in all (target delay $TARGET)"
set key top left
set xlabel "second"
set grid
set yrange [0:*]
set ylabel "connections opened that second"
set title "admission off: how the connections opened each second ended"
plot "$OUT/off.dat" using 1:2 with lines lw 2 dt 2 title "opened", "" using 1:3 with lines lw 2 title "served (however late)", "" using 1:4 with lines lw 2 title "refused"
set title "admission pie: how the connections opened each second ended"
plot "$OUT/pie.dat" using 1:2 with lines lw 2 dt 2 title "opened", "" using 1:3 with lines lw 2 title "served", "" using 1:4 with lines lw 2 title "refused (RST)"
set yrange [*:*]
set logscale y
set ylabel "latency of served requests (ms)"
set title "admission off: latency (log scale)"
plot "$OUT/off.dat" using 1:5 with lines lw 2 title "p50", "" using 1:6 with lines lw 2 title "p99"
set title "admission pie: latency (log scale)"
plot "$OUT/pie.dat" using 1:5 with lines lw 2 title "p50", "" using 1:6 with lines lw 2 title "p99"
unset multiplot
EOF
	[ -f "$OUT/overload.png" ] && echo "picture: $OUT/overload.png"
fi
say "cleaning up"
