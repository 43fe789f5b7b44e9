#!/usr/bin/env bash
# Overload: three fixed-capacity backends (weir-queue-server) offered twice
# their capacity in new connections (weir-load, open loop), admission off
# then PIE, through scripts/overload-demo.sh. Off: latency grows without
# bound. PIE: once settled, p99 of admitted requests near the target,
# throughput near capacity, refusals answered by RST within milliseconds,
# counted as "pie". Margins are generous: the machine is shared.
set -u
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="/tmp/weir-test-overload-$$"
trap 'rm -rf "$out"' EXIT
fail() {
	echo "FAIL: $*" >&2
	[ -f "$out/summary.json" ] && cat "$out/summary.json" >&2
	exit 1
}
TARGET=20ms "$root/scripts/overload-demo.sh" \
	--off-seconds 5 --on-seconds 12 --out "$out" >"$out.log" 2>&1 ||
	{ tail -30 "$out.log"; rm -f "$out.log"; fail "overload demo failed"; }
rm -f "$out.log"
s="$out/summary.json"
q() { jq -r "$1" "$s"; }
echo "  off: ok/s $(q .off.ok_per_s), p99 $(q .off.p99_ms) ms; pie: ok/s $(q .pie.ok_per_s)," \
	"settled p99 max $(q .pie.settled.p99_ms_max) ms, refusal p99 $(q .pie.refusal_p99_ms) ms"
cap=$(q .capacity)
# off: the last second waits behind four seconds of backlog
last_p50=$(jq -r '.per_second[-1].p50_ms' "$out/off.json")
awk -v v="$last_p50" 'BEGIN { exit !(v > 1500) }' || fail "admission off: last second's p50 $last_p50 ms did not grow"
[ "$(q .off.refused)" = 0 ] || fail "admission off refused streams"
# pie, settled: p99 within 5x the 20 ms target (the issue's 3x, with margin)
awk -v v="$(q .pie.settled.p99_ms_max)" 'BEGIN { exit !(v > 0 && v <= 100) }' ||
	fail "pie: settled p99 $(q .pie.settled.p99_ms_max) ms above 100 ms"
awk -v v="$(q .pie.ok_per_s)" -v c="$cap" 'BEGIN { exit !(v >= 0.7 * c) }' ||
	fail "pie: $(q .pie.ok_per_s) ok/s, below 70% of $cap"
awk -v v="$(q .pie.refusal_p99_ms)" 'BEGIN { exit !(v > 0 && v < 20) }' ||
	fail "pie: refusals took $(q .pie.refusal_p99_ms) ms at p99"
refused=$(q .pie.refused)
counted=$(jq -r '.overload.pie_refused' "$out/pie-service.json")
[ "$refused" -gt 0 ] || fail "pie refused nothing"
# every refusal the clients saw was a PIE refusal counted in the kernel
[ "$counted" -ge "$refused" ] || fail "pie counted $counted refusals, clients saw $refused"
[ "$(q .pie.timeout)" = 0 ] || fail "pie: $(q .pie.timeout) requests timed out"
