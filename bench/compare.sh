#!/usr/bin/env bash
# Compares the contact photo pipeline with libvips and with the usual pure-Go
# approach, on the same inputs, alternating the tools within each round:
#
#   contactphoto preview -crop center IN OUT        (GOMEMLIMIT=200MiB)
#   vipsthumbnail IN --size 720x720 --smartcrop centre
#   bench/fill (disintegration/imaging Fill, Lanczos, its own module)
#   bench/imagingonly IN OUT: the same photo as preview, in a binary without
#     the Google client libraries that the CLI and the function link
#
# Usage: bench/compare.sh [PHOTOS_DIR]
#   PHOTOS_DIR (or $CONTACTPHOTO_PHOTOS) holds phone12mp.jpg,
#   phone12mp-progressive.jpg and phone48mp.jpg; the 48 MP progressive, the
#   noisy 48 MP, the 12 MP PNG and the 200 MP JPEG are made from them.
#   RUNS (default 5) is the number of rounds; BENCH_WORK (default
#   bench/.work) keeps the binaries, generated inputs and outputs.
#
# Prints, per input and tool, the median wall time, CPU time (user+sys) and
# peak RSS from /usr/bin/time -v, with ratios to vipsthumbnail, and writes
# the table to its section of bench/RESULTS.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
photos=${1:-${CONTACTPHOTO_PHOTOS:-}}
runs=${RUNS:-5}
work=${BENCH_WORK:-$root/bench/.work}

if [ -z "$photos" ]; then
	echo "usage: bench/compare.sh PHOTOS_DIR (or set CONTACTPHOTO_PHOTOS)" >&2
	exit 2
fi
for f in phone12mp.jpg phone12mp-progressive.jpg phone48mp.jpg; do
	if [ ! -f "$photos/$f" ]; then
		echo "skipping: $photos/$f is missing" >&2
		exit 0
	fi
done

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v vipsthumbnail >/dev/null || [ ! -x /usr/bin/time ]; then
	as_root apt-get update -qq
	as_root apt-get install -y -qq libvips-tools time >/dev/null
fi

mkdir -p "$work/in" "$work/out"
echo "building" >&2
(cd "$root" && go build -o "$work/contactphoto" ./cmd/contactphoto)
(cd "$root" && go build -o "$work/imagingonly" ./bench/imagingonly)
(cd "$root/bench/fill" && go build -o "$work/fill" .)

# Inputs, made once and kept in $work/in.
in=$work/in
make_input() { # NAME COMMAND...
	local name=$1
	shift
	if [ ! -s "$in/$name" ]; then
		echo "making $name" >&2
		"$@"
	fi
}
make_input 12mp-baseline.jpg cp "$photos/phone12mp.jpg" "$in/12mp-baseline.jpg"
make_input 12mp-progressive.jpg cp "$photos/phone12mp-progressive.jpg" "$in/12mp-progressive.jpg"
make_input 48mp-baseline.jpg cp "$photos/phone48mp.jpg" "$in/48mp-baseline.jpg"
if command -v jpegtran >/dev/null; then
	make_input 48mp-progressive.jpg jpegtran -progressive -copy all -outfile "$in/48mp-progressive.jpg" "$photos/phone48mp.jpg"
else
	make_input 48mp-progressive.jpg vips copy "$photos/phone48mp.jpg" "$in/48mp-progressive.jpg[Q=92,interlace]"
fi
noisy() {
	vips gaussnoise "$work/noise.v" 8064 6048 --sigma 32
	vips add "$photos/phone48mp.jpg" "$work/noise.v" "$work/sum.v"
	vips cast "$work/sum.v" "$work/noisy.v" uchar
	vips copy "$work/noisy.v" "$in/48mp-noisy.jpg[Q=92]"
	rm -f "$work/noise.v" "$work/sum.v" "$work/noisy.v"
}
make_input 48mp-noisy.jpg noisy
make_input 12mp.png vips copy "$photos/phone12mp.jpg" "$in/12mp.png"
make_input 200mp.jpg vips resize "$photos/phone48mp.jpg" "$in/200mp.jpg[Q=90]" 2.04

inputs=(12mp-baseline.jpg 12mp-progressive.jpg 48mp-baseline.jpg 48mp-progressive.jpg 48mp-noisy.jpg 12mp.png 200mp.jpg)
tools=(contactphoto imagingonly vipsthumbnail fill)

# command_for TOOL INPUT OUTPUT sets cmd to the command line that makes OUTPUT.
command_for() {
	case $1 in
	contactphoto) cmd=(env GOMEMLIMIT=200MiB "$work/contactphoto" preview -crop center "$2" "$3") ;;
	imagingonly) cmd=(env GOMEMLIMIT=200MiB "$work/imagingonly" "$2" "$3") ;;
	vipsthumbnail) cmd=(vipsthumbnail "$2" --size 720x720 --smartcrop centre -o "$3[Q=90]") ;;
	fill) cmd=("$work/fill" "$2" "$3") ;;
	esac
}

results=$work/results.tsv
: >"$results"
for ((r = 0; r < runs; r++)); do
	echo "round $((r + 1))/$runs" >&2
	for input in "${inputs[@]}"; do
		# Rotate the order each round so that no tool always runs first.
		for ((t = 0; t < ${#tools[@]}; t++)); do
			tool=${tools[$(((t + r) % ${#tools[@]}))]}
			out=$work/out/${input%.*}-$tool.jpg
			command_for "$tool" "$in/$input" "$out"
			if /usr/bin/time -v -o "$work/time.txt" "${cmd[@]}" >/dev/null 2>"$work/stderr.txt"; then
				awk -v input="$input" -v tool="$tool" '
					/User time/ { user = $NF }
					/System time/ { sys = $NF }
					/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); wall = 0; for (i = 1; i <= n; i++) wall = wall * 60 + p[i] }
					/Maximum resident set size/ { rss = $NF }
					END { printf "%s\t%s\t%.3f\t%.3f\t%d\n", input, tool, wall, user + sys, rss }
				' "$work/time.txt" >>"$results"
			else
				echo "$tool failed on $input: $(tail -1 "$work/stderr.txt")" >&2
				printf '%s\t%s\tfailed\tfailed\tfailed\n' "$input" "$tool" >>"$results"
			fi
		done
	done
done

# Medians and ratios to vipsthumbnail.
table=$(awk -F'\t' -v order="${inputs[*]}" -v tools="${tools[*]}" '
	function median(list,   a, n, i, j, t) {
		n = split(list, a, " ")
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	$3 == "failed" { failed[$1, $2] = 1; next }
	{ wall[$1, $2] = wall[$1, $2] " " $3; cpu[$1, $2] = cpu[$1, $2] " " $4; rss[$1, $2] = rss[$1, $2] " " $5 }
	END {
		print "| input | tool | wall s | CPU s | peak RSS MiB | wall / vips | CPU / vips | RSS / vips |"
		print "|---|---|---:|---:|---:|---:|---:|---:|"
		ni = split(order, ins, " "); nt = split(tools, ts, " ")
		for (i = 1; i <= ni; i++) {
			v = ins[i] SUBSEP "vipsthumbnail"
			vw = (v in wall) ? median(wall[v]) : 0; vc = (v in cpu) ? median(cpu[v]) : 0; vr = (v in rss) ? median(rss[v]) : 0
			for (j = 1; j <= nt; j++) {
				k = ins[i] SUBSEP ts[j]
				if (!(k in wall)) { printf "| %s | %s | failed | | | | | |\n", ins[i], ts[j]; continue }
				w = median(wall[k]); c = median(cpu[k]); r = median(rss[k])
				printf "| %s | %s | %.2f | %.2f | %.0f | %s | %s | %s |\n", ins[i], ts[j], w, c, r / 1024,
					vw ? sprintf("%.2f", w / vw) : "", vc ? sprintf("%.2f", c / vc) : "", vr ? sprintf("%.2f", r / vr) : ""
			}
		}
	}' "$results")

echo "$table"
cpu_model=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
. "$root/bench/section.sh"
write_section "$root/bench/RESULTS.md" speed "## Speed and memory against vipsthumbnail

$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr), $(nproc) CPUs ($cpu_model), $(go version | awk '{print $3}'), $(vips --version), median of $runs alternating rounds, 720x720 centre crop.
contactphoto runs with GOMEMLIMIT=200MiB. Inputs: see the header of bench/compare.sh.
imagingonly makes the same photo as contactphoto preview in a binary that links only the imaging package; the
difference in peak RSS is the start-up of the Google client libraries that the CLI and the function link.
Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); on a shared machine wall times stretch, CPU times compare better.

$table"
echo "wrote bench/RESULTS.md" >&2
