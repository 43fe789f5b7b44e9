#!/usr/bin/env bash
# Runs the libFuzzer harnesses: run.sh BUILD_DIR SECONDS [NAME...]
# Each harness first replays its regression inputs (tests/fuzz/regressions/
# NAME/, each must pass), then fuzzes for SECONDS on a scratch copy of its
# corpus (BUILD_DIR/run/NAME/), so the checked-in corpus never changes.
# Crashes, sanitizer reports and timeouts land in BUILD_DIR/run/NAME/
# artifacts/ and fail the run. NAME defaults to every harness.
set -u
shopt -s nullglob
cd "$(dirname "$0")/../.."
build=$1
seconds=$2
shift 2
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(config expr units api)
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0

for name in "${names[@]}"; do
	bin=$build/fuzz_$name
	scratch=$build/run/$name
	# a harness that cannot run fails the run: a skip is never a pass
	if [ "$name" = api ] && [ "$(id -u)" != 0 ]; then
		echo "  FUZZ     $name: FAILED: needs root for its BPF maps"
		status=1
		continue
	fi
	rm -rf "$scratch"
	mkdir -p "$scratch/corpus" "$scratch/artifacts"
	cp tests/fuzz/corpus/"$name"/* "$scratch/corpus/"
	opts=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$scratch/artifacts/")
	[ -f tests/fuzz/"$name".dict ] && opts+=(-dict=tests/fuzz/"$name".dict)

	regressions=(tests/fuzz/regressions/"$name"/*)
	if [ ${#regressions[@]} -gt 0 ]; then
		if ! "$bin" "${opts[@]}" "${regressions[@]}" >"$scratch/replay.log" 2>&1; then
			echo "  FUZZ     $name: a regression input fails again:"
			tail -n 40 "$scratch/replay.log"
			status=1
			continue
		fi
	fi

	"$bin" "${opts[@]}" -max_total_time="$seconds" -print_final_stats=1 \
		"$scratch/corpus" >"$scratch/fuzz.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/fuzz.log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$scratch/fuzz.log")
	if [ $rc -ne 0 ]; then
		echo "  FUZZ     $name: FAILED (exit $rc); input in $scratch/artifacts/:"
		tail -n 60 "$scratch/fuzz.log"
		status=1
		continue
	fi
	n=$(find "$scratch/corpus" -type f | wc -l)
	echo "  FUZZ     $name: ${seconds}s, ${runs:-?} runs, ${rate:-?}/s," \
		"${#regressions[@]} regressions replayed, corpus $n"
done
exit $status
