#!/usr/bin/env bash
# The control socket fed garbage, a huge message, half-written requests
# and clients that connect and never speak, all at once and while real
# commands run: each bad one gets an error or is cut off, every real one
# succeeds, and the update loop is never held up for a whole interval.
source "$(dirname "$0")/lib.sh"
t_setup
t_echo_servers
t_weir_start "$(t_config_header)
services:
$(t_service web "$VIP4" 80 tcp round-robin - 198.18.0.11 198.18.0.12 198.18.0.13)"
t_wait_usable web 3
cat >"$T_RUN/abuse.py" <<'PY'
import json, os, random, socket, sys, threading, time
path = sys.argv[1]
results = {"garbage_answered": 0, "huge_answered": 0, "half_cut": 0, "silent_cut": 0}
lock = threading.Lock()

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s

def read_all(s):
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return data

def garbage(i):
    s = conn()
    rnd = random.Random(i)
    s.sendall(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 4000))).replace(b"\n", b" ") + b"\n")
    reply = read_all(s)
    if reply.startswith(b'{"ok":false'):
        with lock:
            results["garbage_answered"] += 1

def huge():
    s = conn()
    try:
        s.sendall(b'{"cmd":"status","args":{"x":"' + b"a" * (12 << 20) + b'"}}\n')
    except OSError:
        pass
    if b'"ok":false' in read_all(s):
        with lock:
            results["huge_answered"] += 1

def half(kind):
    s = conn()
    if kind == "half":
        s.sendall(b'{"cmd":"service.li')
    start = time.time()
    reply = read_all(s)
    if not reply and time.time() - start < 5:
        with lock:
            results[kind + "_cut"] += 1

threads = [threading.Thread(target=garbage, args=(i,)) for i in range(20)]
threads += [threading.Thread(target=huge)]
threads += [threading.Thread(target=half, args=("half",)) for _ in range(5)]
threads += [threading.Thread(target=half, args=("silent",)) for _ in range(5)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(results))
PY
t_bg - python3 "$T_RUN/abuse.py" "$T_SOCK" >"$T_RUN/abuse.json"
abuse=$T_LAST_PID
real=0
for i in $(seq 40); do
	w --json service show web >/dev/null && w --json status >/dev/null && real=$((real + 1))
done
wait "$abuse"
t_log "real commands: $real of 40 pairs succeeded; bad clients: $(cat "$T_RUN/abuse.json")"
[ "$real" = 40 ] || fail "real commands failed under abuse"
jq -e '.garbage_answered == 20 and .huge_answered == 1 and .half_cut == 5 and .silent_cut == 5' \
	"$T_RUN/abuse.json" >/dev/null || fail "bad clients were not each answered or cut off"
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" b1=10 b2=10 b3=10
late=$(w --json status | jq '.tick_late_max_ms')
t_log "longest a tick waited past its time: $late ms (interval 100 ms)"
[ "$late" -lt 100 ] || fail "the update loop was held up $late ms"
