#!/usr/bin/env bash
# Writes the quality sections of bench/RESULTS.md:
#
#   - the JPEG conformance suite of imaging/internal/dctjpeg against
#     libjpeg-turbo's djpeg: for each file, whether djpeg opens it (with
#     its complaint) and what contactphoto does with it;
#   - the photo against vipsthumbnail's on the same square crop: PSNR
#     against an exact reduction, sharpness and ringing (bench/sharpness).
#
# Usage: bench/quality.sh [PHOTOS_DIR]
#   PHOTOS_DIR (or $CONTACTPHOTO_PHOTOS) holds phone12mp.jpg and
#   phone48mp.jpg, and optionally dragonfly-4224x3168.jpg and
#   friends-2056x3088.jpg. Needs jpegtran and vipsthumbnail.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
photos=${1:-${CONTACTPHOTO_PHOTOS:-}}
if [ -z "$photos" ]; then
	echo "usage: bench/quality.sh PHOTOS_DIR (or set CONTACTPHOTO_PHOTOS)" >&2
	exit 2
fi
. "$root/bench/section.sh"
cd "$root"

echo "conformance suite" >&2
rows=$(go test ./imaging/internal/dctjpeg -run 'TestConformance$' -count 1 -v -args -conformance.table | grep '^| ')
summary=$(printf '%s\n' "$rows" | awk -F' [|] ' '
	NR > 1 {
		d = $2; w = $4; sub(/ [|]$/, "", w)
		if (w ~ /^sent \(/) w = "sent, damage filled in"
		else if (w ~ /^refused: (truncated|corrupt),/) { sub(/,.*/, "", w); w = w " (over a tenth missing)" }
		n[d " | " w]++; files++
	}
	END {
		print "| djpeg | contactphoto | files |"
		print "|---|---|---:|"
		for (k in n) print "| " k " | " n[k] " |" | "sort"
		close("sort")
		print "| all | | " files " |"
	}')
write_section bench/RESULTS.md conformance "## JPEG conformance against djpeg

$(date -u '+%Y-%m-%d'), $(djpeg -version 2>&1 | head -1 || true). The suite in
imaging/internal/dctjpeg/testdata/conformance (made by its make.sh with cjpeg and jpegtran, then damaged) is
decoded at full scale; where djpeg opens a file, the pixels that arrived match djpeg's at 40 dB PSNR or more
(27 dB for progressive files cut inside their DC scans, where every block's AC is estimated from its
neighbours: libjpeg-turbo does that from 5x5 neighbours, this decoder as the IJG's libjpeg from 3x3). The
contactphoto column applies the policy for damaged files with the whole picture as the crop: sent when under a
tenth is missing (the missing blocks repeat the row above), else refused as truncated or corrupt, saying how
much is missing. \"ok\" is djpeg exit status 0, \"warning\" 2 (opened with a complaint), \"error\" 1.

$summary

<details><summary>Every file</summary>

$rows

</details>"

echo "sharpness" >&2
inputs=()
for f in phone12mp.jpg phone48mp.jpg dragonfly-4224x3168.jpg friends-2056x3088.jpg; do
	[ -f "$photos/$f" ] && inputs+=("$photos/$f")
done
sharp=$(go run ./bench/sharpness "${inputs[@]}")
write_section bench/RESULTS.md sharpness "## Sharpness against vipsthumbnail

$(date -u '+%Y-%m-%d'), $(vips --version), 720x720 from the largest centred square (cut on MCU boundaries with
jpegtran, so both see the same pixels), compared before JPEG encoding (imaging.Decode; vipsthumbnail to PNG).
PSNR is against an exact reduction: the crop decoded in full and averaged in linear light over exactly the
area each output pixel covers. Sharpness is the mean absolute Laplacian of the luma as a share of the exact
reduction's; ringing the share of pixels more than 4 levels outside the range of the exact reduction's 3x3
neighbourhood. Made by bench/quality.sh.

$sharp"
echo "wrote bench/RESULTS.md" >&2
