# The reference streams: sourced by make.sh, one enc call each:
# enc name source width height depth chroma x265-options...
# x265's defaults: CTU 64, WPP, deblocking, SAO, sign hiding, adaptive QP.
enc synth-200x120 synth 200 120 8 420
enc face-512 $face 512 512 8 420
enc synth-512 synth 512 512 8 420 --preset slow
enc face-nofilter $face 160 200 8 420 --no-deblock --no-sao
enc face-nowpp $face 160 200 8 420 --no-deblock --no-sao --no-wpp
enc face-noaq $face 160 200 8 420 --no-deblock --no-sao --aq-mode 0
enc synth-qp10 synth 136 72 8 420 --qp 10
enc synth-qp22 synth 136 72 8 420 --qp 22
enc face-qp33 $face 136 168 8 420 --qp 33
enc face-qp45 $face 136 168 8 420 --qp 45
enc noise-qp18 noise 96 64 8 420 --qp 18
enc flat-qp30 flat 72 40 8 420 --qp 30 --ctu 32
enc synth-ctu16 synth 120 88 8 420 --ctu 16 --qp 27
enc synth-ctu32 synth 152 104 8 420 --ctu 32 --qp 24 --min-cu-size 16
enc synth-tudepth synth 128 96 8 420 --tu-intra-depth 4 --max-tu-size 16 --qp 25
enc face-tu4 $face 96 120 8 420 --max-tu-size 4 --qp 30
enc synth-rd1 synth 128 64 8 420 --rd 1 --qp 28
enc synth-rd6 synth 128 64 8 420 --rd 6 --rdoq-level 2 --psy-rdoq 1 --qp 28
enc face-slices $face 160 200 8 420 --slices 4 --qp 26
enc synth-nosignhide synth 128 64 8 420 --no-signhide --qp 20
enc synth-tskip synth 128 64 8 420 --tskip --qp 20
enc noise-tskip noise 64 64 8 420 --tskip --qp 12 --rd 6
enc synth-scaling-default synth 128 96 8 420 --scaling-list default --qp 24
enc synth-lossless synth 96 64 8 420 --lossless
enc synth-cu-lossless synth 96 64 8 420 --cu-lossless --qp 20 --rd 6
enc face-nostrong $face 160 200 8 420 --no-strong-intra-smoothing --qp 26
enc synth-constrained synth 128 64 8 420 --constrained-intra --qp 26
enc synth-chroma-offsets synth 128 64 8 420 --cbqpoffs -5 --crqpoffs 7 --qp 30
enc synth-deblock-offsets synth 128 64 8 420 --deblock -4:5 --qp 34
enc synth-qg8 synth 128 64 8 420 --qg-size 8 --aq-mode 3 --qp 30
enc face-10bit $face 200 120 10 420
enc synth-10bit synth 136 72 10 420 --qp 30 --ctu 32
enc synth-10bit-qp10 synth 96 64 10 420 --qp 10 --no-wpp
enc face-400 $face 200 120 8 400
enc synth-400 synth 136 72 8 400 --qp 20 --ctu 16
enc face-400-10bit $face 128 96 10 400 --qp 28
enc odd-16x24 synth 16 24 8 420 --qp 30 --ctu 16
enc odd-24x40 synth 24 40 8 420 --qp 30 --ctu 16
enc face-slices-lossless $face 256 96 8 420 --qp 18 --ctu 32 --slices 3 --cu-lossless --constrained-intra
enc synth-slices-lossless synth 256 96 8 420 --qp 18 --ctu 32 --slices 3 --cu-lossless --rd 6
# scaling.txt: explicit lists in HM's format, some repeated so that x265
# predicts them from earlier ones (scaling_list_pred_matrix_id_delta).
enc face-scaling-custom $face 128 160 8 420 --scaling-list scaling.txt --qp 24
enc synth-scaling-custom-tskip synth 128 96 8 420 --scaling-list scaling.txt --tskip --qp 20 --ctu 32
enc synth-scaling-custom-10bit synth 96 64 10 420 --scaling-list scaling.txt --qp 30
enc synth-10bit-tskip synth 96 64 10 420 --tskip --qp 20 --ctu 32
enc synth-10bit-lossless synth 72 48 10 420 --lossless --ctu 16
enc synth-400-odd synth 130 90 8 400 --qp 26 --tskip
enc face-400-lossless $face 64 48 8 400 --lossless --ctu 16
enc face-iphone-like $face 512 512 8 420 --preset medium --qp 24 --no-wpp
pcm pcm-single 48 32 8 420
pcm pcm-tiles-2x2 96 64 8 420
pcm pcm-tiles-3x2-nolfacross 112 80 8 420
pcm pcm-tiles-1x3 80 64 8 420
pcm pcm-wpp-lfoff 64 48 8 420
pcm pcm-slices 80 64 8 420
pcm pcm-slices-wpp 80 64 8 420 differs
pcm pcm-slices-tiles 96 64 8 420 differs
pcm pcm-10bit-tiles 64 48 10 420
pcm pcm-400 64 48 8 400
pcm pcm-400-10bit-lfoff 48 48 10 400
