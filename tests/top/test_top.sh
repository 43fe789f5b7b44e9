#!/usr/bin/env bash
# weir top, run in a detached tmux session of 160x40 against a `weir run`
# that attaches nowhere (no -i, no namespaces): it must show the services
# and backends; rates that follow counters written into the pinned per-CPU
# maps, and that fall back to 0 when they stop; PIE's p moving on reported
# delays; a stream written into the stream table; a service added through
# the CLI; the sort keys; a resize; "controller not answering" while the
# controller is gone and the figures once it is back; q and SIGTERM end it
# with exit 0 and the terminal out of the alternate screen. Every wait is
# bounded; what it started ends by its PID (or its own tmux server).
set -u
cd "$(dirname "$0")/../.." || exit 1
WEIR="$PWD/build/weir"
P="weir-top-$$"
RUN="/tmp/$P"
PIN="/sys/fs/bpf/$P" # pins need bpffs
SOCK="$RUN/weir.sock"
WEIR_PID=""
BUMP_PID=""

log() { echo "  $*"; }

tmux_() { tmux -L "$P" -f "$RUN/tmux.conf" "$@"; }

screen() { tmux_ capture-pane -p -t "${1:-top}" 2>/dev/null; }

fail() {
	echo "FAIL: $*" >&2
	echo "  screen:" >&2
	screen | sed 's/^/  | /' >&2
	[ -f "$RUN/weir.log" ] && tail -5 "$RUN/weir.log" | sed 's/^/  weir.log: /' >&2
	exit 1
}

stop_controller() {
	[ -n "$WEIR_PID" ] || return 0
	timeout 5 "$WEIR" --socket "$SOCK" shutdown >/dev/null 2>&1
	for _ in $(seq 50); do
		kill -0 "$WEIR_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$WEIR_PID" 2>/dev/null
	wait "$WEIR_PID" 2>/dev/null
	WEIR_PID=""
}

stop_bumper() {
	[ -n "$BUMP_PID" ] || return 0
	kill "$BUMP_PID" 2>/dev/null
	wait "$BUMP_PID" 2>/dev/null
	BUMP_PID=""
}

cleanup() {
	stop_bumper
	tmux_ kill-server 2>/dev/null
	stop_controller
	rm -rf "$PIN" "$RUN"
}

# What a run that died left: its controller and directories.
reap_stale() {
	local dir

	for dir in /tmp/weir-top-* /sys/fs/bpf/weir-top-*; do
		[ -e "$dir" ] && ! kill -0 "${dir##*-}" 2>/dev/null || continue
		[ -S "$dir/weir.sock" ] && timeout 5 "$WEIR" --socket "$dir/weir.sock" shutdown >/dev/null 2>&1
		rm -rf "$dir"
	done
}

start_controller() {
	"$WEIR" run -c "$RUN/weir.yaml" --socket "$SOCK" --pin-dir "$PIN" >>"$RUN/weir.log" 2>&1 &
	WEIR_PID=$!
	for _ in $(seq 100); do
		"$WEIR" --socket "$SOCK" status >/dev/null 2>&1 && return 0
		kill -0 "$WEIR_PID" 2>/dev/null || break
		sleep 0.1
	done
	fail "weir run did not answer within 10 s"
}

# until TENTHS DESCRIPTION COMMAND...: COMMAND true within TENTHS/10 s.
until_true() {
	local tries=$1 what=$2

	shift 2
	until "$@"; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || fail "$what"
		sleep 0.1
	done
}

# cell TABLE ROW COLUMN: a cell of the screen's table whose first column is
# TABLE, in the row whose first cell is ROW (cells hold no spaces).
cell() {
	screen | awk -v t="$1" -v r="$2" -v c="$3" '
		$1 == t { col = 0; for (i = 1; i <= NF; i++) if ($i == c) col = i; on = 1; next }
		on && NF == 0 { on = 0 }
		on && col && $1 == r { print $col; exit }'
}

# 4.0k -> 4000
number() {
	awk -v v="$1" 'BEGIN {
		m = 1; s = substr(v, length(v))
		if (s == "k") m = 1e3; else if (s == "M") m = 1e6; else if (s == "G") m = 1e9
		if (m > 1) v = substr(v, 1, length(v) - 1)
		printf "%d\n", v * m }'
}

is() { [ "$(cell "$1" "$2" "$3")" = "$4" ]; }
nonzero() { case "$(cell "$@")" in "" | - | 0) return 1 ;; esac; }
on_screen() { screen "${2:-top}" | grep -q -- "$1"; }
pane() { tmux_ display -p -t "$1" "$2"; }

# The pane runs weir top under a shell that records its exit status in
# $RUN/exit.SESSION and waits a little, so the screen it left can be read.
top_command() {
	local session=$1

	shift
	printf "'%s' top --socket '%s' %s; echo "'$?'" >'%s/exit.%s'; sleep 5" "$WEIR" "$SOCK" "$*" \
		"$RUN" "$session"
}
top_pid() { pgrep -P "$(pane "$1" '#{pane_pid}')" -x weir; }

# Little-endian bytes of 64-bit numbers, for bpftool.
le64() {
	local v out="" i

	for v in "$@"; do
		for i in 0 1 2 3 4 5 6 7; do
			out+=" $(((v >> (8 * i)) & 255))"
		done
	done
	echo "$out"
}

# counters MAP ID PACKETS BYTES NEW REFUSED: struct weir_counters on every CPU.
counters() {
	bpftool map update pinned "$PIN/$1" key $(le64 "$2" | cut -d' ' -f2-5) \
		value $(le64 "$3" "$4" "$5" 0 "$6" 0 0 0) >/dev/null
}

# A steady trickle: every 0.2 s more admitted and refused on web, more
# packets, bytes and streams on its first backend (at most 30 s).
bump_loop() {
	local i

	for i in $(seq 150); do
		counters weir_service_stats 0 0 0 $((i * 100)) $((i * 10)) || return 1
		counters weir_backend_stats 0 $((i * 50)) $((i * 125000)) $((i * 10)) 0 || return 1
		sleep 0.2
	done
}

# A paused stream of web on 198.18.0.11, 100 Mbit/s over its 60 s; its
# times are CLOCK_MONOTONIC as the data plane's, from /proc/uptime (equal
# without a suspend).
add_stream() {
	local up now z="0 0 0 0 0 0 0 0 0 0 0 0"

	read -r up _ </proc/uptime
	now=$((${up%.*} * 1000000000 + 10#${up#*.} * 10000000))
	bpftool map update pinned "$PIN/weir_streams" \
		key 198 18 0 9 $z 198 18 1 100 $z 0xc3 0x50 0 80 6 2 0 0 \
		value 0 0 0 0 0 0 0 0 2 0 0 0 0 0 0 0 \
		$(le64 $((now - 61000000000)) $((now - 1000000000)) 500000 750000000 0 0) >/dev/null
}

# ---- setup ----
[ "$(id -u)" = 0 ] || { echo "the top test needs root (bpftool, bpffs)" >&2; exit 1; }
for tool in tmux bpftool jq; do
	command -v $tool >/dev/null || { echo "the top test needs $tool (make deps)" >&2; exit 1; }
done
[ -x "$WEIR" ] || { echo "build/weir missing: make all" >&2; exit 1; }
reap_stale
mkdir -p "$RUN"
trap cleanup EXIT
trap 'exit 130' INT TERM
echo 'set -g remain-on-exit on' >"$RUN/tmux.conf"
cat >"$RUN/weir.yaml" <<'EOF'
services:
  - name: web
    vip: 198.18.1.100
    port: 80
    proto: tcp
    capacity-streams: 100
    admission: pie
    delay-source: report
    health: {enabled: false}
    backends:
      - {addr: 198.18.0.11, mac: "02:00:00:00:00:11", weight: 1}
      - {addr: 198.18.0.12, mac: "02:00:00:00:00:12", weight: 2}
EOF
start_controller
tmux_ new-session -d -s top -x 160 -y 40 "$(top_command top --interval 500ms)" ||
	fail "tmux did not start"

# ---- the view ----
until_true 50 "no web service and its two backends on the screen" \
	eval 'is SERVICE web ADMISSION pie && is BACKEND 198.18.0.11 STATUS up &&
	      is BACKEND 198.18.0.12 WEIGHT 2'
[ "$(pane top '#{alternate_on}')" = 1 ] || fail "weir top is not on the alternate screen"
until_true 30 "web's admitted rate is not 0 on an idle controller" is SERVICE web ADMIT/S 0
log "first capture: web and its backends, admitted 0/s"

counters_before=$("$WEIR" --socket "$SOCK" --json stats | jq -r '.services[0].new_streams')
bump_loop &
BUMP_PID=$!
until_true 50 "web's rates do not follow its counters" \
	eval 'nonzero SERVICE web ADMIT/S && nonzero SERVICE web REFUSE/S &&
	      nonzero BACKEND 198.18.0.11 NEW/S && nonzero BACKEND 198.18.0.11 BIT/S &&
	      nonzero BACKEND 198.18.0.11 PKT/S && is BACKEND 198.18.0.12 BIT/S 0'
log "second capture: admitted $(cell SERVICE web ADMIT/S)/s, refused $(cell SERVICE web REFUSE/S)/s," \
	"198.18.0.11 at $(cell BACKEND 198.18.0.11 BIT/S)bit/s"
stop_bumper
until_true 30 "web's admitted rate does not fall back to 0 once the counters stop" \
	is SERVICE web ADMIT/S 0

# One step of a known size: the rate is the step over the interval (500 ms,
# more when the machine is busy).
before=$("$WEIR" --socket "$SOCK" --json stats | jq -r '.services[0].new_streams')
counters weir_service_stats 0 0 0 100000 0 || fail "bpftool cannot write weir_service_stats"
step=$(($("$WEIR" --socket "$SOCK" --json stats | jq -r '.services[0].new_streams') - before))
[ "$before" -gt "$counters_before" ] && [ "$step" -gt 0 ] || fail "the counters did not move"
peak=0
for _ in $(seq 20); do
	rate=$(number "$(cell SERVICE web ADMIT/S)")
	[ "$rate" -gt "$peak" ] && peak=$rate
	sleep 0.1
done
[ "$peak" -ge $((step * 9 / 10)) ] && [ "$peak" -le $((step * 22 / 10)) ] ||
	fail "a step of $step admitted streams shows as $peak/s (expected $((step * 9 / 10))-$((step * 22 / 10))/s)"
log "a step of $step admitted streams: $peak/s at a 500 ms interval"

# PIE: reported delays of 50 ms over a 20 ms target raise p.
"$WEIR" --socket "$SOCK" backend report web 198.18.0.11 queue=50 dequeue_rate=1000 >/dev/null &&
	"$WEIR" --socket "$SOCK" backend report web 198.18.0.12 queue=50 dequeue_rate=1000 >/dev/null ||
	fail "backend report"
until_true 30 "web's PIE delay does not show the reported 50 ms" is SERVICE web DELAY 50.0ms
p1=$(cell SERVICE web PIE-P)
until_true 30 "web's PIE p stays at $p1 while the delay is over target" \
	eval '[ "$(cell SERVICE web PIE-P)" != "$p1" ]'
log "PIE: delay $(cell SERVICE web DELAY), p $p1 then $(cell SERVICE web PIE-P)"

add_stream || fail "bpftool cannot write weir_streams"
until_true 30 "the stream written into weir_streams is not shown" \
	eval 'is CLIENT 198.18.0.9:50000 STATE paused && is CLIENT 198.18.0.9:50000 RATE 100.0M'
until_true 30 "198.18.0.11 does not count its stream" is BACKEND 198.18.0.11 STREAMS 1
log "stream: $(screen | grep 198.18.0.9:50000 | tr -s ' ')"

"$WEIR" --socket "$SOCK" service add live --vip 198.18.1.101 --port 9000 --proto udp \
	--health none >/dev/null &&
	"$WEIR" --socket "$SOCK" backend add live 198.18.0.21 --mac 02:00:00:00:00:21 >/dev/null ||
	fail "service add live"
until_true 30 "the service added through the CLI does not appear" \
	eval 'is SERVICE live BACKENDS 1/1 && is BACKEND 198.18.0.21 SERVICE live'
log "service live and its backend appeared"

# ---- keys and size ----
tmux_ send-keys -t top s
until_true 20 "s does not sort the backends by streams" on_screen "BACKENDS 3, by streams"
[ "$(screen | awk '$1 == "BACKEND" { getline; print $1; exit }')" = 198.18.0.11 ] ||
	fail "sorted by streams, 198.18.0.11 (1 stream) is not first"
tmux_ send-keys -t top b
until_true 20 "b does not sort the streams by bytes" on_screen "STREAMS by bytes"
tmux_ resize-window -t top -x 80 -y 20
until_true 20 "no redraw at 80x20" \
	eval 'screen | sed -n 20p | grep -q "^q quit" && is SERVICE web BACKENDS 2/2'
tmux_ resize-window -t top -x 160 -y 40
log "s, b and a resize to 80x20"

# ---- the controller goes away and comes back ----
stop_controller
until_true 50 "no 'controller not answering' without a controller" \
	on_screen "controller not answering"
[ -e "$RUN/exit.top" ] && fail "weir top ended without its controller"
log "without a controller: $(screen | grep -o 'controller not answering[^;]*')"
start_controller
until_true 50 "the figures do not come back with the controller" \
	eval '! on_screen "controller not answering" && is SERVICE web ADMISSION pie'
log "controller back: figures again"

# ---- ending ----
# ended SESSION HOW: its weir top exited 0 and left the alternate screen.
# The pane's shell writes the exit status and stays a moment: tmux can be
# slow to reap a pane's process on a busy machine, the shell is not.
ended() {
	until_true 100 "$2 does not end weir top" test -s "$RUN/exit.$1"
	[ "$(cat "$RUN/exit.$1")" = 0 ] || fail "after $2: exit status $(cat "$RUN/exit.$1")"
	[ "$(pane "$1" '#{alternate_on}')" = 0 ] || fail "after $2: still on the alternate screen"
	on_screen ADMIT/S "$1" && fail "the view is still on the terminal after $2"
	log "$2: exit 0, terminal restored"
}

tmux_ send-keys -t top q
ended top q
for sig in INT TERM; do
	tmux_ new-session -d -s "$sig" -x 160 -y 40 "$(top_command "$sig")"
	until_true 50 "weir top in session $sig shows nothing" on_screen ADMIT/S "$sig"
	kill -"$sig" "$(top_pid "$sig")"
	ended "$sig" "SIG$sig"
done
echo "PASS top"
