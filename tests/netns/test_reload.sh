#!/usr/bin/env bash
# SIGHUP reloads the file given to weir run, all or nothing: a backend
# added to the file takes new streams after the signal; a broken file
# changes nothing (and says why in the log); the dump round-trips (dump,
# load, dump again: the same text), classes, admission and expressions
# included. The ranking does not move with load (weight * 2), so the
# splits stay exact: one on streams.active shifts as the clients connect.
source "$(dirname "$0")/lib.sh"
t_setup
t_echo_servers
base="$(t_config_header)
services:
$(t_service web "$VIP4" 80 tcp round-robin - 198.18.0.11 198.18.0.12)
    capacity-streams: 100
    admission: pie
    capacity-ranking: \"weight * 2\"
    classes:
      - {name: gold, match: 198.18.0.0/24, min: 1mbit, max: 10mbit, priority: 5}"
t_weir_start "$base"
t_wait_usable web 2
t_expect_split "$(t_clients tcp "$VIP4" 80 20)" b1=10 b2=10

sed -i 's/^      - addr: 198.18.0.12$/      - addr: 198.18.0.12\n      - addr: 198.18.0.13/' "$T_RUN/weir.yaml"
grep -q "198.18.0.13" "$T_RUN/weir.yaml" || fail "test: could not edit the file"
kill -HUP "$WEIR_PID"
t_wait_usable web 3
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" b1=10 b2=10 b3=10
[ "$(w --json status | jq '.config_reloads')" = 1 ] || fail "reload not counted"
grep -q "SIGHUP: reloaded $T_RUN/weir.yaml: 1 services" "$T_RUN/weir.log" || fail "reload not logged"
# a broken file: nothing changes
cp "$T_RUN/weir.yaml" "$T_RUN/good.yaml"
echo "    bogus-key: 1" >>"$T_RUN/weir.yaml"
before=$(w config dump)
kill -HUP "$WEIR_PID"
t_wait_for 3 grep -q "SIGHUP: .* not loaded, the running state stays: line .*unknown key 'bogus-key'" "$T_RUN/weir.log" ||
	fail "a broken file's reload not refused in the log: $(tail -3 "$T_RUN/weir.log")"
[ "$(w config dump)" = "$before" ] || fail "a broken file changed the running state"
[ "$(w --json status | jq '.config_reload_failures')" = 1 ] || fail "failed reload not counted"
t_expect_split "$(t_clients tcp "$VIP4" 80 30)" b1=10 b2=10 b3=10
# dump -> load -> dump: the same text
w config dump >"$T_RUN/dump1.yaml"
w config load "$T_RUN/dump1.yaml" >/dev/null || fail "the dump does not load"
w config dump >"$T_RUN/dump2.yaml"
cmp -s "$T_RUN/dump1.yaml" "$T_RUN/dump2.yaml" || fail "dump, load, dump differ: $(diff "$T_RUN/dump1.yaml" "$T_RUN/dump2.yaml" | head)"
for key in "capacity-ranking: \"weight \* 2\"" "admission: pie" "name: gold"; do
	grep -q -- "$key" "$T_RUN/dump1.yaml" || fail "the dump lacks $key"
done
t_log "SIGHUP reloads; a broken file is refused; dump -> load -> dump identical"
