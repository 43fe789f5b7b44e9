#!/usr/bin/env bash
# The package: `make install` into a temporary DESTDIR puts every file where
# it belongs (PREFIX, SYSTEMD_UNIT_DIR) and `make uninstall` takes them all
# back; the manual renders without warnings and names every command of the
# CLI contract; bash completion completes objects, verbs, options, values
# and service names (from a stand-in controller's socket); --version
# carries the revision; systemd-analyze accepts the unit. Needs no root and
# no network; writes only below a temporary directory.
set -u
cd "$(dirname "$0")/../.." || exit 1
MAKE=${MAKE:-make}
BUILD=${BUILD:-build}
WEIR=$PWD/$BUILD/weir
TMP=$(mktemp -d)
server=
failed=0

cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	failed=1
}

# The commands of the CLI contract (DESIGN.md), object and verb.
contract=(
	run status shutdown stats top check
	"service add" "service set" "service del" "service show" "service pause"
	"service resume" "service list"
	"class add" "class del" "class list"
	"backend add" "backend del" "backend pause" "backend resume" "backend drain"
	"backend list" "backend report"
	"stream list" "stream request" "stream release"
	"expr check" "config dump" "config load" "decap attach" "decap detach"
)

install_into() { # install_into DESTDIR [VAR=VALUE...]
	local d=$1
	shift
	"$MAKE" --no-print-directory -s install DESTDIR="$d" "$@" >/dev/null ||
		fail "make install DESTDIR=$d $*"
}

expect_files() { # expect_files DIR PATH...: exactly these files below DIR
	local d=$1 got want
	shift
	got=$(cd "$d" && find . -type f | sed 's|^\./|/|' | sort)
	want=$(printf '%s\n' "$@" | sort)
	[ "$got" = "$want" ] || fail "files below $d:"$'\n'"$got"$'\n'"expected:"$'\n'"$want"
}

check_install() {
	local d=$TMP/dest p=/usr/local files
	files=("$p/sbin/weir" "$p/share/man/man8/weir.8"
		"$p/share/bash-completion/completions/weir" "$p/lib/systemd/system/weir.service"
		"$p/share/doc/weir/weir.yaml.example" "$p/share/doc/weir/README.md")
	install_into "$d"
	expect_files "$d" "${files[@]}"
	[ -x "$d$p/sbin/weir" ] || fail "weir is not executable"
	grep -qx "ExecStart=$p/sbin/weir run -c /etc/weir/weir.yaml" "$d$p/lib/systemd/system/weir.service" ||
		fail "the unit's ExecStart does not name $p/sbin/weir"
	cp -a "$d" "$TMP/installed"
	"$MAKE" --no-print-directory -s uninstall DESTDIR="$d" >/dev/null || fail "make uninstall"
	[ -z "$(find "$d" -type f)" ] || fail "left after uninstall: $(find "$d" -type f)"

	# other places, then back to the defaults for what follows
	d=$TMP/dest-usr
	install_into "$d" PREFIX=/usr SYSTEMD_UNIT_DIR=/lib/systemd/system
	expect_files "$d" /usr/sbin/weir /usr/share/man/man8/weir.8 \
		/usr/share/bash-completion/completions/weir /lib/systemd/system/weir.service \
		/usr/share/doc/weir/weir.yaml.example /usr/share/doc/weir/README.md
	grep -q "^ExecStart=/usr/sbin/weir run" "$d/lib/systemd/system/weir.service" ||
		fail "PREFIX=/usr: ExecStart does not name /usr/sbin/weir"
	grep -q "/usr/share/doc/weir/weir.yaml.example" "$d/usr/share/man/man8/weir.8" ||
		fail "PREFIX=/usr: the manual names another example path"
	"$MAKE" --no-print-directory -s uninstall DESTDIR="$d" PREFIX=/usr \
		SYSTEMD_UNIT_DIR=/lib/systemd/system >/dev/null
	[ -z "$(find "$d" -type f)" ] || fail "PREFIX=/usr: left after uninstall"
	"$MAKE" --no-print-directory -s "$BUILD/weir.8" "$BUILD/weir.service" >/dev/null
}

# in_cli OBJECT [VERB]: the CLI's command tables have it (as completion
# offers them: `weir OBJECT UNKNOWN --help` prints the object's usage and
# succeeds, so it proves nothing).
in_cli() {
	"$WEIR" --complete "" | grep -qx -- "$1" || return 1
	[ $# = 1 ] || "$WEIR" --complete "$1" "" | grep -qx -- "$2"
}

check_manual() {
	local page=$TMP/installed/usr/local/share/man/man8/weir.8 text warnings words o v
	warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
	[ -z "$warnings" ] || fail "groff warns about weir.8: $warnings"
	if command -v man >/dev/null; then
		man -l "$page" >/dev/null 2>&1 || fail "man -l cannot render weir.8"
	fi
	text=$(groff -man -Tutf8 -P-c -P-b -P-u "$page" 2>/dev/null)
	for words in "${contract[@]}"; do
		# shellcheck disable=SC2086 # the words are the arguments
		if ! in_cli $words; then
			fail "'weir $words' is in the contract (DESIGN.md) but not in the CLI"
			continue
		fi
		grep -q "weir $words\b" <<<"$text" || fail "the manual does not name 'weir $words'"
	done
	# and every command of the tables, contract or not
	for o in $("$WEIR" --complete ""); do
		for v in $("$WEIR" --complete "$o" ""); do
			[ "${v#-}" = "$v" ] || continue
			# a verb of the object's table, not a value it completes
			# (check completes interface names)
			"$WEIR" "$o" --help 2>&1 | grep -q "^  weir $o $v\b" || continue
			grep -q "weir $o $v\b" <<<"$text" || fail "the manual does not name 'weir $o $v'"
		done
		grep -q "weir $o\b" <<<"$text" || fail "the manual does not name 'weir $o'"
	done
	grep -q "weir $(sed -n 's/.*define WEIR_VERSION "\(.*\)"/\1/p' user/ctl/ctl.h)" <<<"$text" ||
		fail "the manual's footer has no version"
}

# complete WORD... : what the installed completion offers for the last WORD
complete() {
	local script=$TMP/installed/usr/local/share/bash-completion/completions/weir
	bash -c '
		source "$1"; shift
		weir=$1; shift
		COMP_WORDS=(weir "$@"); COMP_CWORD=$#
		_weir "$weir" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		[ ${#COMPREPLY[@]} = 0 ] || printf "%s\n" "${COMPREPLY[@]}"' complete "$script" "$WEIR" "$@" | sort | tr '\n' ' '
}

expect_completion() { # expect_completion "EXPECTED" WORD...
	local want=$1 got
	shift
	got=$(complete "$@")
	[ "$got" = "$want" ] || fail "completing 'weir $*': got '$got', expected '$want'"
}

# A stand-in controller: answers service.list with two services.
start_server() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(8)
while True:
    c, _ = s.accept()
    while c.recv(65536): pass
    c.sendall(b"{\"ok\":true,\"data\":[{\"name\":\"web\"},{\"name\":\"live\"}]}\n")
    c.close()' "$1" &
	server=$!
	for _ in $(seq 50); do [ -S "$1" ] && return 0; sleep 0.1; done
	fail "the stand-in controller did not start"
}

check_completion() {
	local sock=$TMP/weir.sock
	expect_completion "service " ser
	expect_completion "add " service a
	expect_completion "backend " back
	expect_completion "del drain " backend d
	expect_completion "--proto " service add web --prot
	expect_completion "tcp udp " service add web --proto ""
	expect_completion "drop " service set web --refuse = d
	expect_completion "maglev round-robin weighted " service set web --steering =
	expect_completion "--help --json --socket --version " --
	expect_completion "native " run --xdp-mode n
	expect_completion "" --socket "$TMP/none.sock" backend add ""
	if command -v python3 >/dev/null; then
		start_server "$sock"
		expect_completion "live web " --socket "$sock" backend add ""
		expect_completion "web " service show --socket="$sock" w
		expect_completion "live " stats --socket "$sock" l
		expect_completion "$sock " run --socket "$TMP/weir.s"
	else
		echo "note: no python3: service names from a socket not checked"
	fi
}

check_version() {
	local want=unknown got
	[ -e .git ] && want=$(git describe --always --dirty 2>/dev/null)
	got=$("$TMP/installed/usr/local/sbin/weir" --version)
	grep -q "(revision $want)" <<<"$got" || fail "weir --version says '$got', expected revision $want"
	got=$("$WEIR" --json --version)
	grep -q "\"revision\": \"$want\"" <<<"$got" || fail "weir --json --version: $got"
}

check_unit() {
	local unit=$TMP/weir.service p=/usr/local
	if ! command -v systemd-analyze >/dev/null; then
		echo "note: no systemd-analyze: the unit is not verified"
		return
	fi
	# verify looks for the binary and the manual where they are installed
	sed "s|$p/sbin/weir|$TMP/installed$p/sbin/weir|g" \
		"$TMP/installed$p/lib/systemd/system/weir.service" >"$unit"
	MANPATH=$TMP/installed$p/share/man systemd-analyze verify "$unit" ||
		fail "systemd-analyze verify weir.service"
}

start=$EPOCHREALTIME
check_install
check_manual
check_completion
check_version
check_unit
awk -v ok=$failed -v a="$start" -v b="$EPOCHREALTIME" \
	'BEGIN { printf "package: %s in %.1f s\n", ok ? "FAILED" : "ok", b - a }'
exit $failed
