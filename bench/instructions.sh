#!/usr/bin/env bash
# Counts the instructions bench/imagingonly executes on the baseline photos
# under valgrind's callgrind, for the working tree and for a base revision.
# Unlike CPU time, the counts do not move with the load of a shared machine,
# so they show what a change to the code costs or saves; they do not compare
# with other programs (libjpeg-turbo runs SIMD code, which does more per
# instruction).
#
# Usage: bench/instructions.sh [PHOTOS_DIR] [BASE_REV]
#   PHOTOS_DIR (or $CONTACTPHOTO_PHOTOS) holds phone12mp.jpg and
#   phone48mp.jpg; BASE_REV (default main) is built from `git archive`.
#   Writes the table to its section of bench/RESULTS.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
photos=${1:-${CONTACTPHOTO_PHOTOS:-}}
base=${2:-main}
work=${BENCH_WORK:-$root/bench/.work}/instructions

if [ -z "$photos" ]; then
	echo "usage: bench/instructions.sh PHOTOS_DIR [BASE_REV] (or set CONTACTPHOTO_PHOTOS)" >&2
	exit 2
fi
if ! command -v valgrind >/dev/null; then
	if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; else sudo apt-get install -y -qq valgrind >/dev/null; fi
fi

rm -rf "$work"
mkdir -p "$work/base"
echo "building" >&2
(cd "$root" && git archive "$base" | tar -x -C "$work/base")
(cd "$work/base" && go build -o "$work/imagingonly-base" ./bench/imagingonly)
(cd "$root" && go build -o "$work/imagingonly-tree" ./bench/imagingonly)

# count BINARY PHOTO prints the instructions executed. Asynchronous
# preemption is off because callgrind cannot follow Go's preemption signals;
# one P keeps the count independent of scheduling.
count() {
	GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
		"$1" "$2" "$work/out.jpg" 2>&1 | awk '/Collected :/ { print $NF }'
}

rows=""
for photo in phone12mp.jpg phone48mp.jpg; do
	echo "counting $photo" >&2
	b=$(count "$work/imagingonly-base" "$photos/$photo")
	t=$(count "$work/imagingonly-tree" "$photos/$photo")
	rows+=$(awk -v p="$photo" -v b="$b" -v t="$t" 'BEGIN { printf "| %s | %.0f | %.0f | %+.1f%% |\n", p, b / 1e6, t / 1e6, 100 * (t - b) / b }')$'\n'
done

table="| photo | $base, M instructions | this tree, M instructions | change |
|---|---:|---:|---:|
$rows"
echo "$table"
. "$root/bench/section.sh"
write_section "$root/bench/RESULTS.md" instructions "## Instructions executed (callgrind)

$(date -u '+%Y-%m-%d %H:%M UTC'), $(go version | awk '{print $3}'), $(valgrind --version): bench/imagingonly making the
720x720 centre crop (bench/instructions.sh), the tree at $(cd "$root" && git rev-parse --short HEAD)$(cd "$root" && git diff --quiet HEAD -- . ':!bench/RESULTS.md' || echo ' with changes') against $base at $(cd "$root" && git rev-parse --short "$base").

${table%$'\n'}"
echo "wrote bench/RESULTS.md" >&2
