#!/usr/bin/env bash
# The hitless upgrade: weir run of a newer build (build/variant/weir, a BPF
# program that differs in its instructions) stops the running controller's
# place, adopts the pinned maps and replaces the attached program in one
# atomic XDP replace while an iperf3 stream runs: the stream never stalls,
# the admitted streams stay counted; running the same build again keeps
# the program it finds.
source "$(dirname "$0")/lib.sh"
NEWER="$T_ROOT/build/variant/weir"
[ -x "$NEWER" ] || fail "$NEWER missing: make build/variant/weir"
t_setup
t_iperf_server b1
config="$(t_config_header)
services:
$(t_bulk_service 198.18.0.11)
    capacity-streams: 10"
t_weir_start "$config"
t_wait_usable bulk 1
tag() { w --json status | jq -r '.interfaces[0].program_tag'; }
t_bg c iperf3 -c "$VIP4" -p 5201 -t 8 -i 1 -J >"$T_RUN/iperf.json"
iperf_pid=$T_LAST_PID
sleep 2
kill "$WEIR_PID"
wait "$WEIR_PID" 2>/dev/null
old=$(bpftool net show dev "$TOPO_LB_IF" -j | jq -r '.[0].xdp[0].id')
# the newer build takes over
t_weir_start "$config" "$NEWER"
st=$(w --json status)
new=$(bpftool net show dev "$TOPO_LB_IF" -j | jq -r '.[0].xdp[0].id')
t_log "upgrade at 2 s: program id $old -> $new, $(echo "$st" | jq -c '.interfaces[0] | {adopted, upgraded, program_tag}')"
[ "$(echo "$st" | jq '.maps_adopted')" = true ] || fail "the newer build did not adopt the maps"
[ "$(echo "$st" | jq '.interfaces[0].upgraded')" = true ] || fail "the program was not replaced: $st"
[ "$old" != "$new" ] || fail "still the old program ($old)"
grep -q "upgraded: program .* replaced by this build's" "$T_RUN/weir.log" || fail "the upgrade was not logged"
t_wait_for 3 t_json '.admitted_streams >= 1' service show bulk ||
	fail "the iperf3 streams are not counted after the upgrade"
wait "$iperf_pid" || fail "iperf3 broke across the upgrade: $(jq -r '.error // empty' "$T_RUN/iperf.json")"
low=$(jq '[.intervals[].sum.bits_per_second] | min / 1e6 | floor' "$T_RUN/iperf.json")
t_log "iperf3 across the upgrade: $(t_iperf_mbps "$T_RUN/iperf.json") Mbit/s, slowest second $low Mbit/s"
[ "$low" -gt 0 ] || fail "a second without data across the upgrade"
# the same (newer) build again: its program is kept
upgraded_tag=$(tag)
kill "$WEIR_PID"
wait "$WEIR_PID" 2>/dev/null
t_weir_start "$config" "$NEWER"
[ "$(w --json status | jq '.interfaces[0].upgraded')" = false ] || fail "the same build replaced itself"
[ "$(tag)" = "$upgraded_tag" ] || fail "program tag changed: $(tag) vs $upgraded_tag"
[ "$(bpftool net show dev "$TOPO_LB_IF" -j | jq -r '.[0].xdp[0].id')" = "$new" ] || fail "the program was replaced by the same build"
