#!/usr/bin/env bash
# Compares the HEIC path with libheif on a 12 MP photo shaped as an iPhone
# writes it (4032x3024 in 48 hidden tiles of 512x512, irot, colr nclx, Exif,
# a thumbnail), alternating the tools within each round:
#
#   contactphoto preview -crop center IN OUT        (GOMEMLIMIT=200MiB)
#   contactphoto preview IN OUT: the default face crop, which keeps half the
#     photo's resolution (reduced by 2 while decoding, not 4)
#   bench/imagingonly IN OUT: the same photo, in a binary without the Google
#     client libraries that the CLI and the function link
#   heif-convert IN OUT.jpg (libheif with libde265): the whole photo as a
#     JPEG, since libheif has no reduced decode
#
# Usage: bench/heic.sh [PHOTO.jpg]
#   PHOTO (default: friends-2056x3088.jpg in $CONTACTPHOTO_PHOTOS) is the
#   picture the HEIC is made from, by imaging/internal/heif/testdata/make.go
#   with x265 (apt-get install x265 libheif-examples libde265-examples).
#   RUNS (default 5) is the number of rounds; BENCH_WORK (default
#   bench/.work) keeps the binaries, the input and the outputs.
#
# Prints the median CPU time (user+sys), wall time and peak RSS from
# /usr/bin/time -v, with ratios to heif-convert, and writes the table into
# the heic section of bench/RESULTS.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
photo=${1:-${CONTACTPHOTO_PHOTOS:-}/friends-2056x3088.jpg}
runs=${RUNS:-5}
work=${BENCH_WORK:-$root/bench/.work}

if [ ! -f "$photo" ]; then
	echo "skipping: $photo is missing (usage: bench/heic.sh PHOTO.jpg)" >&2
	exit 0
fi
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v heif-convert >/dev/null || ! command -v x265 >/dev/null || [ ! -x /usr/bin/time ]; then
	as_root apt-get update -qq
	as_root apt-get install -y -qq x265 libheif-examples libde265-examples time >/dev/null
fi

mkdir -p "$work/in" "$work/out"
echo "building" >&2
(cd "$root" && go build -o "$work/contactphoto" ./cmd/contactphoto)
(cd "$root" && go build -o "$work/imagingonly" ./bench/imagingonly)
input=$work/in/iphone-12mp.heic
if [ ! -s "$input" ]; then
	echo "making $input (x265, about a minute)" >&2
	(cd "$root/imaging/internal/heif/testdata" && go run make.go -bench "$input" "$photo")
fi

tools=(contactphoto contactphoto-face imagingonly heif-convert)
command_for() { # TOOL sets cmd
	local out=$work/out/iphone-12mp-$1.jpg
	case $1 in
	contactphoto) cmd=(env GOMEMLIMIT=200MiB "$work/contactphoto" preview -crop center "$input" "$out") ;;
	contactphoto-face) cmd=(env GOMEMLIMIT=200MiB "$work/contactphoto" preview "$input" "$out") ;;
	imagingonly) cmd=(env GOMEMLIMIT=200MiB "$work/imagingonly" "$input" "$out") ;;
	heif-convert) cmd=(heif-convert -q 90 "$input" "$out") ;;
	esac
}

results=$work/heic-results.tsv
: >"$results"
for ((r = 0; r < runs; r++)); do
	echo "round $((r + 1))/$runs" >&2
	for ((t = 0; t < ${#tools[@]}; t++)); do
		tool=${tools[$(((t + r) % ${#tools[@]}))]}
		command_for "$tool"
		/usr/bin/time -v -o "$work/time.txt" "${cmd[@]}" >/dev/null 2>"$work/stderr.txt" ||
			{ echo "$tool failed: $(tail -1 "$work/stderr.txt")" >&2; exit 1; }
		awk -v tool="$tool" '
			/User time/ { user = $NF }
			/System time/ { sys = $NF }
			/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); wall = 0; for (i = 1; i <= n; i++) wall = wall * 60 + p[i] }
			/Maximum resident set size/ { rss = $NF }
			END { printf "%s\t%.3f\t%.3f\t%d\n", tool, wall, user + sys, rss }
		' "$work/time.txt" >>"$results"
	done
done

table=$(awk -F'\t' -v tools="${tools[*]}" '
	function median(list,   a, n, i, j, t) {
		n = split(list, a, " ")
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ wall[$1] = wall[$1] " " $2; cpu[$1] = cpu[$1] " " $3; rss[$1] = rss[$1] " " $4 }
	END {
		print "| input | tool | CPU s | wall s | peak RSS MiB | CPU / heif-convert | RSS / heif-convert |"
		print "|---|---|---:|---:|---:|---:|---:|"
		hc = median(cpu["heif-convert"]); hr = median(rss["heif-convert"])
		nt = split(tools, ts, " ")
		for (j = 1; j <= nt; j++) {
			c = median(cpu[ts[j]]); r = median(rss[ts[j]])
			printf "| iphone-12mp.heic | %s | %.2f | %.2f | %.0f | %.2f | %.2f |\n", ts[j], c, median(wall[ts[j]]), r / 1024, c / hc, r / hr
		}
	}' "$results")
echo "$table"

cpu_model=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
section=$(
	echo "## HEIC against heif-convert (bench/heic.sh)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr), $(nproc) CPUs ($cpu_model), $(go version | awk '{print $3}'), libheif $(dpkg-query -W -f='${Version}' libheif1 2>/dev/null) with libde265 $(dpkg-query -W -f='${Version}' libde265-0 2>/dev/null), median of $runs alternating rounds."
	echo "Input: $(stat -c %s "$input") bytes, 4032x3024 in 48 tiles of 512x512, x265 QP 24, shaped as an iPhone writes it."
	echo "contactphoto and imagingonly make the 720x720 centre crop as in the speed section, contactphoto-face the default"
	echo "face crop; heif-convert decodes the whole photo to a JPEG."
	echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); CPU times compare better than wall times on a shared machine."
	echo
	echo "$table"
)
. "$root/bench/section.sh"
write_section "$root/bench/RESULTS.md" heic "$section"
echo "wrote the HEIC section of bench/RESULTS.md" >&2
