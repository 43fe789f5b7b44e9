#!/usr/bin/env bash
# Runs every tests/netns/test_*.sh (or those named) and prints a closing
# "N passed, N failed, N skipped" line. A test exits 0 (pass), 77 (skip:
# counted, never as a pass) or anything else (fail).
set -u
cd "$(dirname "$0")/../.." || exit 1
[ "$(id -u)" = 0 ] || { echo "netns tests need root" >&2; exit 1; }
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
tests=("$@")
[ ${#tests[@]} = 0 ] && tests=(tests/netns/test_*.sh)
passed=0 failed=0 skipped=0 failures=()
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	start=$SECONDS
	echo "== $name"
	timeout --kill-after=10 180 bash "$t"
	rc=$?
	case $rc in
	0) passed=$((passed + 1)); echo "PASS $name ($((SECONDS - start)) s)" ;;
	77) skipped=$((skipped + 1)); echo "SKIP $name" ;;
	*) failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name (exit $rc, $((SECONDS - start)) s)" ;;
	esac
done
[ $failed = 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
