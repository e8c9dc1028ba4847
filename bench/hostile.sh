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
exec go run ./bench/hostile -bin "$work/contactphoto" -results bench/RESULTS.md "$@"
