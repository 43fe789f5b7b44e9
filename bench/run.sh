#!/usr/bin/env bash
# make bench: every figure next to a baseline measured in the same run,
# medians of 5 interleaved rounds with min and max. Writes
# bench/results.json and prints a markdown table. For reading, not
# asserting: targets guide design.
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS="${BENCH_ROUNDS:-5}"
OUT=build/bench
BENCH="$OUT/weir-bench"
NS="wbl$$"
mkdir -p "$OUT"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

cleanup() {
	ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT

# Live frames need a real interface: a veth pair in a namespace of ours,
# the peer with an XDP_PASS program so it receives what is sent to it.
live() {
	ip netns add "$NS" &&
		ip -n "$NS" link add wb0 type veth peer name wb1 &&
		ip -n "$NS" link set wb0 up && ip -n "$NS" link set wb1 up &&
		ip -n "$NS" link set dev wb1 xdp obj build/pass.bpf.o sec xdp &&
		ip netns exec "$NS" "$BENCH" live wb0 "$OUT/live.json" "$ROUNDS"
	local rc=$?
	cleanup
	return $rc
}

start=$SECONDS
failed=0
echo "== per-packet cost (BPF_PROG_TEST_RUN)" >&2
"$BENCH" packet "$OUT/packet.json" "$ROUNDS" || failed=1
echo "== live-frames throughput" >&2
live || failed=1
echo "== controller" >&2
"$BENCH" controller "$OUT/controller.json" "$ROUNDS" || failed=1
echo "== end to end" >&2
bench/e2e.sh "$OUT/e2e.json" >&2 || failed=1

machine=$(jq -n --arg kernel "$(uname -r)" --arg cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
	--arg cpus "$(nproc)" --arg mem "$(free -g | awk '/Mem:/ {print $2 " GiB"}')" \
	--arg clang "$(clang --version | head -1)" --arg date "$(date -u +%FT%TZ)" \
	'{kernel: $kernel, cpu: $cpu, cpus: ($cpus | tonumber), memory: $mem, clang: $clang, date: $date}')
parts=()
for p in packet live controller e2e; do
	[ -s "$OUT/$p.json" ] && parts+=("$OUT/$p.json")
done
jq -s --argjson machine "$machine" --arg rounds "$ROUNDS" \
	'{machine: $machine, rounds: ($rounds | tonumber), rows: add}' "${parts[@]}" >bench/results.json

fmt='def n: if . == null then "" elif (. | type) == "number" then (. * 100 | round / 100 | tostring) else . end;'
{
	echo "| section | figure | median | min | max | unit | baseline | baseline median | ratio | target | met |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	jq -r "$fmt"' .rows[] | "| \(.section) | \(.name) | \(.median | n) | \(.min | n) | \(.max | n) | \(.unit) | \(.baseline_name // "") | \(.baseline_median | n) | \(.ratio | n) | \(.target // "") | \(if .met == null then "" elif .met then "yes" else "NO" end) |"' bench/results.json
	echo
	jq -r '.machine | "machine: \(.cpu), \(.cpus) CPUs, \(.memory), Linux \(.kernel); \(.date)"' bench/results.json
	echo "rounds: $ROUNDS interleaved; bench took $((SECONDS - start)) s; results in bench/results.json"
}
[ $failed = 0 ] || { echo "bench: a part failed (see above)" >&2; exit 1; }
