#!/usr/bin/env bash
# Feeds the hostile set, every format at the edge of its memory budget, four
# at a time through `contactphoto serve`, and writes each case's outcomes
# and peak RSS into bench/RESULTS.md (see bench/hostile/main.go).
#
# Usage: bench/hostile.sh [-only NAME]
#   BENCH_WORK (default bench/.work) keeps the binary.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_WORK:-$root/bench/.work}
mkdir -p "$work"
(cd "$root" && go build -o "$work/contactphoto" ./cmd/contactphoto)
cd "$root"
section=$(go run ./bench/hostile -bin "$work/contactphoto" "$@")
echo "$section"
if [ $# -eq 0 ]; then
	. "$root/bench/section.sh"
	write_section "$root/bench/RESULTS.md" hostile "$section"
	echo "wrote bench/RESULTS.md" >&2
fi
