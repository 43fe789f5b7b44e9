#!/usr/bin/env bash
# The CLI contract against a running controller: changes reach the data
# plane; bad input gets a clear error and a non-zero exit and leaves the
# running state as it was; --json is JSON; garbage on the socket is
# answered with an error and does not hurt the controller.
source "$(dirname "$0")/lib.sh"
t_setup
t_echo_servers
t_weir_start "$(t_config_header)"

expect_fail() { # expect_fail CODE PATTERN CMD...
	local code="$1" pattern="$2" out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	[ "$rc" = "$code" ] || fail "'$*' exited $rc, expected $code: $out"
	echo "$out" | grep -q -- "$pattern" || fail "'$*' said '$out', expected /$pattern/"
}

w service add web --vip "$VIP4" --port 80 --proto tcp >/dev/null || fail "service add"
for b in 11 12 13; do w backend add web "198.18.0.$b" >/dev/null || fail "backend add .$b"; done
t_wait_usable web 3
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" b1=10 b2=10 b3=10
w --json service list | jq -e 'length == 1 and .[0].name == "web"' >/dev/null || fail "service list --json"
w --json status | jq -e '.services == 1 and .backends == 3' >/dev/null || fail "status --json"

before=$(w config dump)
expect_fail 1 "not a port" w service add x --vip "$VIP4" --port 70000 --proto tcp
expect_fail 1 "not tcp or udp" w service add x --vip "$VIP4" --port 82 --proto sctp
expect_fail 1 "not an IPv4 or IPv6" w service add x --vip 999.1.1.1 --port 82 --proto tcp
expect_fail 1 "exists already" w service add web --vip "$VIP4" --port 82 --proto tcp
expect_fail 1 "not off or pie" w service add x --vip "$VIP4" --port 82 --proto tcp --admission red
expect_fail 1 "column 12: expected" w service add x --vip "$VIP4" --port 82 --proto tcp --capacity-limit "backends * "
expect_fail 1 "not tcp or http:PATH" w service set web --probe http:nopath
expect_fail 2 "not NAME=VALUE" w backend report web 198.18.0.11 queue
expect_fail 1 "not a number" w backend report web 198.18.0.11 queue=many
expect_fail 1 "is above its max" w service add x --vip "$VIP4" --port 82 --proto tcp --stream-min 8mbit --stream-max 1mbit
expect_fail 1 "not a rate" w service add x --vip "$VIP4" --port 82 --proto tcp --capacity-rate fast
expect_fail 1 "not a priority" w service add x --vip "$VIP4" --port 82 --proto tcp --priority 9
expect_fail 1 "no such service" w service set nosuch --capacity-streams 3
expect_fail 2 "unknown option --vip" w service set web --vip "$VIP4"
expect_fail 1 "not a client prefix" w class add web gold --match 1.2.3/8 --min 1mbit --max 2mbit
expect_fail 1 "missing min" w class add web gold --match dscp:46
expect_fail 1 "no such class" w class del web nosuch
expect_fail 1 "not ADDR" w stream request web r --client nowhere --min 1mbit --max 2mbit
expect_fail 1 "no such request" w stream release web nosuch
expect_fail 1 "not rate, bytes or age" w stream list --sort colour
expect_fail 1 "not a prime" w service add x --vip "$VIP4" --port 82 --proto tcp --steering maglev --maglev-table-size 65535
expect_fail 1 "is not a duration\|not a duration" w service add x --vip "$VIP4" --port 82 --proto tcp --idle-timeout 10
expect_fail 2 "unknown option --bogus" w service add x --bogus 1
expect_fail 2 "missing" w backend add web
expect_fail 1 "no such service" w backend add nosuch 198.18.0.11
expect_fail 1 "exists already" w backend add web 198.18.0.11
expect_fail 1 "not 0-65535" w backend add web 198.18.0.14 --weight 70000
expect_fail 1 "not a MAC" w backend add web 198.18.0.14 --mac 02:00
expect_fail 1 "not a unicast MAC" w backend add web 198.18.0.14 --mac ff:ff:ff:ff:ff:ff
expect_fail 1 "not a unicast host address" w backend add web 0.0.0.0
expect_fail 1 "is the service's VIP" w backend add web "$VIP4"
expect_fail 1 "not a unicast host address" w service add x --vip 224.0.0.9 --port 82 --proto tcp
expect_fail 1 "no such backend" w backend pause web 198.18.0.99
expect_fail 2 "unknown verb" w service frobnicate
expect_fail 2 "unknown option" w service add x "--$(printf 'a%.0s' $(seq 100))=1"
expect_fail 2 "takes no value" w stats --watch=yes
head -c 5000000 /dev/zero | tr '\0' '#' >"$T_RUN/huge.yaml"
expect_fail 1 "larger than" w config load "$T_RUN/huge.yaml"
printf 'services:\n  - name: y\n    vip: %s\n    port: 99999\n    proto: tcp\n' "$VIP4" >"$T_RUN/bad.yaml"
expect_fail 1 "line 4" w config load "$T_RUN/bad.yaml"
[ "$(w config dump)" = "$before" ] || fail "a rejected change altered the running state"

# Garbage and oversized requests on the socket: an error reply, no harm.
reply=$(printf 'garbage\n' | socat -t 2 - "UNIX-CONNECT:$T_SOCK")
echo "$reply" | jq -e '.ok == false and (.error | test("not a JSON"))' >/dev/null ||
	fail "garbage got '$reply'"
reply=$(printf '{"cmd":"service.add","args":{"name":7}}\n' | socat -t 2 - "UNIX-CONNECT:$T_SOCK")
echo "$reply" | jq -e '.ok == false' >/dev/null || fail "bad args got '$reply'"
reply=$(printf '{"cmd":"backend.add","args":{"service":"web","addr":"198.18.0.14","wieght":"2"}}\n' |
	socat -t 2 - "UNIX-CONNECT:$T_SOCK")
echo "$reply" | jq -e '.ok == false and (.error | test("unknown argument .wieght."))' >/dev/null ||
	fail "a mistyped argument got '$reply'"
# A client that connects and never speaks holds up nobody.
t_bg - python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(5)' "$T_SOCK"
silent=$T_LAST_PID
start=$(date +%s%N)
w status >/dev/null || fail "status beside a silent client"
[ $(($(date +%s%N) - start)) -lt 1000000000 ] || fail "a silent client held up status"
kill "$silent" 2>/dev/null
printf 'services: []\n\0x' >"$T_RUN/nul.yaml"
expect_fail 1 "NUL byte" w config load "$T_RUN/nul.yaml"
reply=$(head -c 9000000 /dev/zero | tr '\0' 'x' | socat -t 5 - "UNIX-CONNECT:$T_SOCK" 2>/dev/null)
echo "$reply" | jq -e '.ok == false and (.error | test("larger than"))' >/dev/null ||
	fail "an oversized request got '$reply'"
w status >/dev/null || fail "controller hurt by garbage"
[ "$(w config dump)" = "$before" ] || fail "garbage altered the running state"

# Admission through the CLI: set, classes, requests, lists.
w service set web --capacity-streams 100 --stream-max 8mbit --priority 2 --preempt >/dev/null ||
	fail "service set"
w --json service show web | jq -e '.capacity_streams == 100 and .preempt == true and .priority == 2' \
	>/dev/null || fail "service set did not apply: $(w --json service show web)"
w service set web --preempt=false >/dev/null || fail "service set --preempt=false"
w --json service show web | jq -e '.preempt == false' >/dev/null || fail "--preempt=false"
w class add web gold --match 198.18.0.0/24 --min 1mbit --max 4mbit --priority 7 >/dev/null ||
	fail "class add"
w --json class list web | jq -e 'length == 1 and .[0].name == "gold" and .[0].match == "198.18.0.0/24"' \
	>/dev/null || fail "class list: $(w --json class list web)"
w class list | grep -q "^web *gold" || fail "class list text: $(w class list)"
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" b1=10 b2=10 b3=10
w --json service show web | jq -e '.class_list | map(select(.name == "gold")) | .[0].admitted == 30' \
	>/dev/null || fail "the class rule did not classify: $(w --json service show web | jq -c .class_list)"
out=$(w --json stream request web r1 --client 198.18.0.2 --min 1mbit --max 2mbit --ttl 5s)
echo "$out" | jq -e '.granted_bps == 2000000 and .reason == ""' >/dev/null || fail "request: $out"
expect_fail 1 "exists already" w stream request web r1 --client 198.18.0.2 --min 1mbit --max 2mbit
w stream release web r1 | grep -q "released the grant" || fail "release"
w --json stream list web | jq -e '.streams | type == "array"' >/dev/null || fail "stream list --json"
w stream list --state closing --sort age --limit 5 | grep -q "shown of" || fail "stream list text"
w class del web gold >/dev/null || fail "class del"
w service set web --capacity-streams 0 --stream-max 0 --priority 0 >/dev/null || fail "reset"
before=$(w config dump)

# Round trip: dump, change, load the dump back.
w config dump >"$T_RUN/dump.yaml"
w backend pause web 198.18.0.12 >/dev/null || fail "pause"
[ "$(t_backend_counter web 198.18.0.12 status)" = '"paused"' ] || fail "not paused"
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" b1=15 b2=0 b3=15
w config load "$T_RUN/dump.yaml" >/dev/null || fail "config load of a dump"
[ "$(w config dump)" = "$(cat "$T_RUN/dump.yaml")" ] || fail "dump/load round trip differs"
[ "$(t_backend_counter web 198.18.0.12 status)" = '"up"' ] || fail "load did not resume b2"

# Deleting the service: its VIP is no service any more, packets pass.
w service del web >/dev/null || fail "service del"
out=$(ip netns exec "${TOPO_P}c" "$CLIENT" --tcp --addr "$VIP4" --port 80 --count 2 --timeout-ms 300 --json)
[ "$(echo "$out" | jq '.failed')" = 2 ] || fail "deleted service still answers: $out"
w --json stats | jq -e '.reasons[] | select(.reason == "not_service") | .packets > 0' >/dev/null ||
	fail "not_service not counted"

# A new service and backend start from zero counters, not from what the
# deleted ones counted (their ids come back only once no stream names
# them: tests/ctl checks that).
w service add fresh --vip "$VIP4" --port 82 --proto tcp >/dev/null || fail "service add fresh"
w backend add fresh 198.18.0.11 >/dev/null || fail "backend add fresh"
w --json service show fresh | jq -e '.packets == 0 and .new_streams == 0' >/dev/null ||
	fail "fresh service inherited counters: $(w --json service show fresh)"
w --json backend list fresh | jq -e '.[0].packets == 0' >/dev/null ||
	fail "fresh backend inherited counters: $(w --json backend list fresh)"

# The start file has no interfaces (they came from -i): it loads; a file
# naming other interfaces needs a restart and is refused.
w config load "$T_RUN/weir.yaml" >/dev/null || fail "config load of the start file"
printf 'interfaces: [lo]\n' >"$T_RUN/other.yaml"
expect_fail 1 "restart" w config load "$T_RUN/other.yaml"

# stats --watch refreshes every second until interrupted.
frames=$(timeout -s INT 2.5 "$WEIR" --socket "$T_SOCK" stats --watch | grep -c '^REASON')
[ "$frames" -ge 2 ] || fail "stats --watch printed $frames frames in 2.5 s"

"$WEIR" --help >/dev/null || fail "weir --help"
"$WEIR" service --help | grep -q "service add" || fail "weir service --help"
"$WEIR" run --help | grep -q "pin-dir" || fail "weir run --help"
