#!/bin/sh
# Regenerates the reference streams and md5.txt: each stream is encoded by
# x265 (intra only, one picture) from a generated or photo-derived picture,
# then decoded by libde265's dec265; md5.txt lists the MD5 of each plane of
# dec265's output (one byte a sample at 8 bits, two bytes little-endian at 10).
# Needs: go, x265, libde265-examples (libde265-dec265), ffmpeg.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: > md5.txt.new
: > libde265-differs.txt.new
: > ffmpeg-md5.txt.new
# name src w h depth csp x265-options...
enc() {
	name=$1 src=$2 w=$3 h=$4 depth=$5 csp=$6
	shift 6
	go run gen.go -src "$src" -w "$w" -h "$h" -depth "$depth" -csp "$csp" -o "$tmp/in.yuv"
	incsp=i420
	[ "$csp" = 400 ] && incsp=i400
	rm -f "$name.hevc"
	x265 --input "$tmp/in.yuv" --input-res "${w}x$h" --input-depth "$depth" --output-depth "$depth" \
		--input-csp "$incsp" --fps 1 --frames 1 --keyint 1 --hash 1 --log-level error "$@" -o "$name.hevc"
	libde265-dec265 -q -o "$tmp/out.yuv" "$name.hevc" >/dev/null
	# -c checks libde265's decode against the MD5 that x265 writes into the
	# stream; where they differ, the tests hold the decoder to the encoder's.
	record "$name" "$w" "$h" "$depth" "$csp" md5.txt.new
	if ! libde265-dec265 -q -c "$name.hevc" >/dev/null 2>&1; then
		differs "$name" "$w" "$h" "$depth" "$csp"
	fi
}
# differs name w h depth csp: libde265 is known to decode the stream
# differently from its encoder; FFmpeg's decode becomes the reference.
differs() {
	echo "$1.hevc" >> libde265-differs.txt.new
	ffmpeg -v error -i "$1.hevc" -f rawvideo "$tmp/out.yuv" -y
	record "$@" ffmpeg-md5.txt.new
}
# record name w h depth csp file: the line of md5.txt for the decoded
# picture in $tmp/out.yuv.
record() {
	bps=1
	[ "$4" -gt 8 ] && bps=2
	ysize=$(($2 * $3 * bps))
	line="$1.hevc $(head -c $ysize "$tmp/out.yuv" | md5sum | cut -d' ' -f1)"
	if [ "$5" != 400 ]; then
		csize=$((($2 + 1) / 2 * (($3 + 1) / 2) * bps))
		line="$line $(tail -c +$((ysize + 1)) "$tmp/out.yuv" | head -c $csize | md5sum | cut -d' ' -f1)"
		line="$line $(tail -c +$((ysize + csize + 1)) "$tmp/out.yuv" | head -c $csize | md5sum | cut -d' ' -f1)"
	fi
	echo "$line" >> "$6"
	[ -n "${KEEP_YUV:-}" ] && cp "$tmp/out.yuv" "$1.yuv"
	return 0
}
# pcm name w h depth csp [differs]: a stream of PCM coding units, tiles,
# wavefronts and slice segments written by the Go tests (pcmstream_test.go,
# go test -write-pcm), which x265 does not make. "differs" marks the streams
# on which libde265 is known to deviate (see README.md).
pcm() {
	libde265-dec265 -q -o "$tmp/out.yuv" "$1.hevc" >/dev/null
	record "$1" "$2" "$3" "$4" "$5" md5.txt.new
	if [ "${6:-}" = differs ]; then
		differs "$1" "$2" "$3" "$4" "$5"
	fi
}
(cd .. && go test -run TestWritePCMStreams . -args -write-pcm >/dev/null)
face=../../../testdata/face.jpg
. ./streams.sh
mv md5.txt.new md5.txt
mv libde265-differs.txt.new libde265-differs.txt
mv ffmpeg-md5.txt.new ffmpeg-md5.txt
# Valid streams the decoder refuses with an UnsupportedError.
go run gen.go -src synth -w 64 -h 64 -o "$tmp/in.yuv"
cat "$tmp/in.yuv" "$tmp/in.yuv" > "$tmp/two.yuv"
x265 --input "$tmp/two.yuv" --input-res 64x64 --fps 1 --frames 2 --keyint 10 --bframes 0 --log-level error -o unsupported/p-slice.hevc
go run gen.go -src synth -w 64 -h 64 -depth 10 -o "$tmp/in10.yuv"
x265 --input "$tmp/in10.yuv" --input-res 64x64 --input-depth 10 --output-depth 12 --fps 1 --frames 1 --log-level error -o unsupported/12bit.hevc
head -c $((64 * 64 * 2)) "$tmp/in.yuv" > "$tmp/in422.yuv"
x265 --input "$tmp/in422.yuv" --input-res 64x64 --input-csp i422 --fps 1 --frames 1 --log-level error -o unsupported/422.hevc
