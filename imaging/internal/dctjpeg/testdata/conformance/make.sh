#!/usr/bin/env bash
# Regenerates the conformance suite: JPEGs written by libjpeg-turbo's cjpeg
# and jpegtran in every coding process the decoder reads, then damaged the
# ways uploads and other encoders damage them, with djpeg's verdict and
# reference decode of each. Needs libjpeg-turbo-progs, imagemagick and
# python3 (apt-get install libjpeg-turbo-progs imagemagick python3).
#
# Usage: ./make.sh /path/to/friends-2056x3088.jpg
#
# Writes *.jpg, ref-*.png (djpeg -nosmooth output of each distinct clean
# decode, as PNG) and manifest.txt, one line per file:
#
#   FILE REF STATUS MESSAGE
#
# REF is the reference the file's pixels are compared with: its own decode,
# or for a damaged file that of the file it was made from (for a cut
# progressive file, djpeg's decode of it). STATUS is
# djpeg's: ok, warning (exit 2: it opened the file and complained) or
# error (exit 1: it did not open it). MESSAGE is djpeg's first complaint.
set -euo pipefail
photo=${1:?usage: make.sh friends-2056x3088.jpg}
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
im=convert-im6.q16
command -v "$im" >/dev/null || im=convert

rm -f ./*.jpg ref-*.png manifest.txt
"$im" "$photo" -crop 96x72+1180+1440 +repage "$tmp/a.ppm"
"$im" "$photo" -crop 131x77+880+700 +repage "$tmp/b.ppm"

declare -A parent

# c NAME INPUT CJPEG-SWITCHES...: a clean file from cjpeg.
c() { local n=$1 in=$2; shift 2; cjpeg -quality 90 "$@" -outfile "$n.jpg" "$tmp/$in.ppm"; }
# t NAME FROM JPEGTRAN-SWITCHES...: a lossless transcode.
t() { local n=$1 from=$2; shift 2; jpegtran "$@" -outfile "$n.jpg" "$from.jpg"; }
# s NAME SCRIPT: a jpegtran scan script.
s() { printf '%b' "$2" >"$tmp/$1.txt"; }

# Sequential Huffman, every sampling cjpeg writes.
for smp in 1x1 2x1 2x2 1x2 4x1 4x2 2x1,1x2,1x1 3x1; do
	c "seq-${smp//,/_}" a -sample "$smp"
done
c seq-gray a -grayscale
c seq-optimize-odd b -sample 2x2 -optimize
c seq-restart-rows b -sample 2x1 -restart 1
c seq-restart-mcus a -sample 2x2 -restart 2B
c seq-rgb a -rgb
# Progressive Huffman.
c prog-420 a -progressive -sample 2x2
c prog-444 a -progressive -sample 1x1
c prog-422-restart-odd b -progressive -sample 2x1 -restart 3B
c prog-gray a -progressive -grayscale
# Arithmetic coding, sequential and progressive (T.81 Annex D).
c arith-420 a -arithmetic -sample 2x2
c arith-444 a -arithmetic -sample 1x1
c arith-422-restart a -arithmetic -sample 2x1 -restart 1B
c arith-411-odd b -arithmetic -sample 4x1
c arith-gray a -arithmetic -grayscale
c arith-prog-420 a -arithmetic -progressive -sample 2x2
c arith-prog-444-odd b -arithmetic -progressive -sample 1x1
c arith-prog-restart a -arithmetic -progressive -sample 2x2 -restart 2B
t arith-from-prog prog-420 -arithmetic
t huff-from-arith arith-prog-420 -optimize
# Progressive scripts: odd spectral selection, deep successive
# approximation, and scans left out (allowed as long as every component
# has its DC).
s odd '0,1,2: 0-0, 0, 1;\n0: 1-1, 0, 0;\n0: 2-7, 0, 0;\n0: 8-63, 0, 0;\n1: 1-2, 0, 0;\n1: 3-63, 0, 0;\n2: 1-63, 0, 0;\n0,1,2: 0-0, 1, 0;\n'
s deep '0,1,2: 0-0, 0, 3;\n0: 1-9, 0, 3;\n0: 10-63, 0, 2;\n1: 1-63, 0, 2;\n2: 1-63, 0, 2;\n0,1,2: 0-0, 3, 2;\n0: 1-9, 3, 2;\n0: 1-63, 2, 1;\n1: 1-63, 2, 1;\n2: 1-63, 2, 1;\n0,1,2: 0-0, 2, 1;\n0,1,2: 0-0, 1, 0;\n0: 1-63, 1, 0;\n1: 1-63, 1, 0;\n2: 1-63, 1, 0;\n'
s missing-ac '0,1,2: 0-0, 0, 0;\n0: 1-5, 0, 0;\n'
s missing-refine '0,1,2: 0-0, 0, 1;\n0: 1-63, 0, 2;\n1: 1-63, 0, 1;\n2: 1-63, 0, 1;\n0: 1-63, 2, 1;\n'
for sc in odd deep missing-ac missing-refine; do
	t "prog-$sc" seq-2x2 -scans "$tmp/$sc.txt"
	t "arith-prog-$sc" seq-2x2 -arithmetic -scans "$tmp/$sc.txt"
done

python3 - "$tmp" <<'PY'
import sys
tmp = sys.argv[1]
def rd(n): return bytearray(open(n + '.jpg', 'rb').read())
def wr(n, b): open(n + '.jpg', 'wb').write(bytes(b))
def segs(b):
    """(offset, marker) of the marker segments before the first SOS."""
    i, out = 2, []
    while i < len(b):
        m = b[i + 1]
        out.append((i, m))
        if m == 0xDA:
            break
        i += 2 + (b[i + 2] << 8 | b[i + 3])
    return out
base = rd('seq-2x2')
sos = [o for o, m in segs(base) if m == 0xDA][0]
n = base[sos + 2] << 8 | base[sos + 3]
# Sequential scans with spectral parameters other than 0-63, 0, 0, which
# libjpeg warns about and ignores; some encoders write zeros there.
for name, tail in (('seq-sos-zeros', (0, 0, 0)), ('seq-sos-odd', (1, 62, 0x11))):
    b = bytearray(base)
    b[sos + 2 + n - 3:sos + 2 + n] = bytes(tail)
    wr(name, b)
# Motion JPEG: no DHT, the scan uses the Annex K tables cjpeg wrote anyway.
b = bytearray(base)
for o, m in reversed(segs(base)):
    if m == 0xC4:
        ln = 2 + (b[o + 2] << 8 | b[o + 3])
        del b[o:o + ln]
wr('mjpeg-no-dht', b)
# A DNL segment after the scan, repeating the frame's height.
b = bytearray(base)
b[-2:-2] = bytes([0xFF, 0xDC, 0, 4, 0, 72])
wr('dnl-after-scan', b)
# Height 0 in the frame, defined by the DNL: libjpeg does not read these.
sof = [o for o, m in segs(b) if m == 0xC0][0]
b[sof + 5:sof + 7] = b'\0\0'
wr('dnl-height-zero', b)
# Extraneous bytes before markers.
for name, marker in (('extra-before-dqt', 0xDB), ('extra-before-sos', 0xDA)):
    b = bytearray(base)
    o = [o for o, m in segs(b) if m == marker][0]
    b[o:o] = b'\x00\x13\x37\x42\x00'
    wr(name, b)
b = bytearray(base)
b[-2:-2] = b'garbage'
wr('extra-before-eoi', b)
# Corrupt entropy-coded data inside a restart interval, and a wrong
# restart marker.
for src, name in (('seq-restart-mcus', 'garbage-restart'), ('arith-422-restart', 'garbage-arith-restart'), ('seq-2x2', 'garbage-no-restart')):
    b = rd(src)
    o = [o for o, m in segs(b) if m == 0xDA][0]
    mid = o + (len(b) - o) // 2
    for k in range(6):
        if b[mid + k] not in (0xFF,) and b[mid + k - 1] != 0xFF:
            b[mid + k] ^= 0x5A
    b = bytes(b).replace(b'\xff\x00', b'\x00\x00')  # flipping may not make markers
    wr(name, bytearray(b))
b = rd('seq-restart-mcus')
i = b.index(b'\xff\xd3')
b[i + 1] = 0xD6
wr('wrong-rst', b)
b = rd('seq-restart-mcus')
i = b.index(b'\xff\xd4')
del b[i:i + 2]
wr('lost-rst', b)
# Uploads cut short, at many offsets.
for src in ('seq-2x2', 'seq-restart-rows', 'prog-420', 'arith-420', 'arith-prog-420', 'seq-optimize-odd', 'prog-gray'):
    b = rd(src)
    for pct in (5, 20, 40, 60, 75, 85, 92, 96, 99):
        wr('cut%02d-%s' % (pct, src), b[:len(b) * pct // 100])
    wr('cut-eoi-' + src, b[:-2])
PY

# Parents of the damaged files, whose clean decode is their reference.
for f in seq-sos-zeros seq-sos-odd mjpeg-no-dht dnl-after-scan dnl-height-zero extra-before-dqt extra-before-sos extra-before-eoi garbage-no-restart; do parent[$f]=seq-2x2; done
parent[garbage-restart]=seq-restart-mcus
parent[wrong-rst]=seq-restart-mcus
parent[lost-rst]=seq-restart-mcus
parent[garbage-arith-restart]=arith-422-restart
for f in cut*.jpg; do p=${f%.jpg}; p=${p#cut-eoi-}; p=${p#cut??-}; parent[${f%.jpg}]=$p; done

declare -A refOf
verdict() {
	st=ok
	djpeg -nosmooth -outfile "$tmp/out.pnm" "$1.jpg" 2>"$tmp/err" || st=$?
	case $st in ok) ;; 2) st=warning ;; *) st=error ;; esac
	msg=$(head -1 "$tmp/err" | sed 's/^djpeg: //; s/ *$//')
}
files=$(ls ./*.jpg | sed 's|^\./||; s|\.jpg$||' | sort)
for f in $files; do
	[ -z "${parent[$f]:-}" ] || continue
	verdict "$f"
	[ "$st" = ok ] || { echo "$f: clean file not decoded cleanly: $msg" >&2; exit 1; }
	h=$(sha256sum "$tmp/out.pnm" | cut -c1-10)
	[ -f "ref-$h.png" ] || "$im" "$tmp/out.pnm" -strip -define png:exclude-chunks=date,time "ref-$h.png"
	refOf[$f]=ref-$h.png
	echo "$f ref-$h.png $st -" >>manifest.txt
done
for f in $files; do
	p=${parent[$f]:-}
	[ -n "$p" ] || continue
	verdict "$f"
	ref=${refOf[$p]}
	if [ "$st" = warning ] && [[ $f == cut* && $p == *prog* ]]; then
		# A progressive file cut short lacks detail everywhere, not only
		# where data is missing: its reference is djpeg's own decode.
		h=$(sha256sum "$tmp/out.pnm" | cut -c1-10)
		[ -f "ref-$h.png" ] || "$im" "$tmp/out.pnm" -strip -define png:exclude-chunks=date,time "ref-$h.png"
		ref=ref-$h.png
	fi
	echo "$f $ref $st ${msg:--}" >>manifest.txt
done
# Sort: clean files come before the files made from them above.
sort -o manifest.txt manifest.txt
du -sh . >&2
