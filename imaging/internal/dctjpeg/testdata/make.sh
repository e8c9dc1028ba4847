#!/bin/sh
# Regenerates the JPEG fixtures. Needs cjpeg (libjpeg-turbo-progs) and
# convert (imagemagick). Usage: ./make.sh /path/to/friends-2056x3088.jpg
set -eu
photo=${1:?usage: make.sh friends-2056x3088.jpg}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
im=convert-im6.q16
command -v "$im" >/dev/null || im=convert

"$im" "$photo" -crop 61x45+1210+1470 +repage "$tmp/src.ppm"
"$im" "$photo" -resize '4095x3!' "$tmp/wide.ppm"
"$im" "$tmp/src.ppm" -crop 17x9+20+20 +repage "$tmp/17x9.ppm"
"$im" "$tmp/src.ppm" -crop 1x1+30+20 +repage "$tmp/1x1.ppm"

# j OUT INPUT SWITCHES...
j() { out=$1 in=$2; shift 2; cjpeg -quality 90 "$@" -outfile "$out" "$in"; }
j ycc444.jpg "$tmp/src.ppm" -sample 1x1
j ycc422.jpg "$tmp/src.ppm" -sample 2x1
j ycc420.jpg "$tmp/src.ppm" -sample 2x2
j ycc440.jpg "$tmp/src.ppm" -sample 1x2
j ycc411.jpg "$tmp/src.ppm" -sample 4x1
j ycc410.jpg "$tmp/src.ppm" -sample 4x2
j ycc-mixed.jpg "$tmp/src.ppm" -sample 2x1,1x2,1x1
j restart-mcu.jpg "$tmp/src.ppm" -sample 2x2 -restart 1B
j restart-row.jpg "$tmp/src.ppm" -sample 2x1 -restart 1
j prog420.jpg "$tmp/src.ppm" -progressive -sample 2x2
j prog422-restart.jpg "$tmp/src.ppm" -progressive -sample 2x1 -restart 2B
j prog444.jpg "$tmp/src.ppm" -progressive -sample 1x1
j gray.jpg "$tmp/src.ppm" -grayscale
j gray-2x2.jpg "$tmp/src.ppm" -grayscale -sample 2x2
j gray-prog-restart.jpg "$tmp/src.ppm" -grayscale -progressive -restart 3B
j rgb.jpg "$tmp/src.ppm" -rgb
j 1x1.jpg "$tmp/1x1.ppm" -sample 2x2
j 17x9.jpg "$tmp/17x9.ppm" -sample 2x2
j 17x9-prog444.jpg "$tmp/17x9.ppm" -progressive -sample 1x1
j 4095x3.jpg "$tmp/wide.ppm" -sample 2x2
j 4095x3-prog.jpg "$tmp/wide.ppm" -progressive -sample 2x1
j arithmetic.jpg "$tmp/src.ppm" -arithmetic

# Spectral selection only (Al = 0): at 1/4 and 1/8 the high bands are skipped.
printf '0,1,2: 0-0, 0, 0;\n0: 1-5, 0, 0;\n0: 6-63, 0, 0;\n1: 1-63, 0, 0;\n2: 1-63, 0, 0;\n' >"$tmp/spectral.txt"
j prog-spectral.jpg "$tmp/src.ppm" -sample 2x2 -scans "$tmp/spectral.txt"
# Successive approximation with bands that straddle the 1/4 and 1/2 windows.
printf '0,1,2: 0-0, 0, 2;\n0,1,2: 0-0, 2, 1;\n0: 1-2, 0, 2;\n0: 3-63, 0, 2;\n1: 1-63, 0, 1;\n2: 1-63, 0, 1;\n0: 1-63, 2, 1;\n0,1,2: 0-0, 1, 0;\n0: 1-63, 1, 0;\n1: 1-63, 1, 0;\n2: 1-63, 1, 0;\n' >"$tmp/approx.txt"
j prog-approx.jpg "$tmp/src.ppm" -sample 2x2 -scans "$tmp/approx.txt"

# ImageMagick writes CMYK as YCCK (Adobe transform 2).
"$im" "$tmp/src.ppm" -colorspace CMYK -quality 90 ycck.jpg
"$im" "$tmp/src.ppm" -colorspace CMYK -quality 90 -interlace JPEG ycck-prog.jpg
"$im" "$tmp/src.ppm" -colorspace CMYK -quality 90 -sampling-factor 2x2,1x1,1x1,2x2 ycck-2x2.jpg
# Plain Adobe CMYK: the same data with the transform byte set to 0, which
# is a valid (if differently coloured) CMYK file.
cp ycck.jpg cmyk.jpg
off=$(grep -obUa Adobe cmyk.jpg | head -1 | cut -d: -f1)
printf '\000' | dd of=cmyk.jpg bs=1 seek=$((off + 11)) conv=notrunc status=none
