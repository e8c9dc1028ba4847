# The reference streams: sourced by make.sh, one enc call each.
enc synth-200x120 synth 200 120 8 420
enc face-nofilter $face 160 200 8 420 --no-deblock --no-sao
enc face-nowpp $face 160 200 8 420 --no-deblock --no-sao --no-wpp
enc face-noaq $face 160 200 8 420 --no-deblock --no-sao --aq-mode 0
