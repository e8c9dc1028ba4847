package dctjpeg

// smooth estimates the lowest AC coefficients of blocks whose progressive
// scans left them unknown or approximate (a file cut short, or a script
// that leaves scans out) from the DC values of the neighbouring blocks, as
// libjpeg's block smoothing does (jdcoefct.c, IJG version): a block of flat
// colour between different neighbours gets a gentle gradient instead of
// standing out as a tile. Only coefficients still zero are estimated, and
// an estimate never exceeds what the missing refinement bits could add.
func (d *decoder) smooth(c *component) {
	if c.n < 2 || c.precision[0] < 0 {
		return
	}
	q := &d.quant[c.tq]
	// Zigzag index, natural position in the n×n window, and the weighting
	// of the neighbours' DC differences, for AC01, AC10, AC20, AC11, AC02.
	type estimate struct {
		k, sl int
		q     int64
	}
	var ests []estimate
	for _, k := range []int{1, 2, 3, 4, 5} {
		if sl := c.slot[k]; sl >= 0 && c.precision[k] != 0 && q[k] != 0 {
			ests = append(ests, estimate{k, int(sl), int64(q[k])})
		}
	}
	if len(ests) == 0 || q[0] == 0 {
		return
	}
	q00 := int64(q[0])
	nn := c.n * c.n
	bw, bh := ceilDiv(c.cw, 8), ceilDiv(c.ch, 8)
	dc := func(bx, by int) int64 {
		bx, by = min(max(bx, 0), bw-1), min(max(by, 0), bh-1)
		return int64(c.coef[(by*c.bw+bx)*nn])
	}
	for by := range bh {
		for bx := range bw {
			dc1, dc2, dc3 := dc(bx-1, by-1), dc(bx, by-1), dc(bx+1, by-1)
			dc4, dc5, dc6 := dc(bx-1, by), dc(bx, by), dc(bx+1, by)
			dc7, dc8, dc9 := dc(bx-1, by+1), dc(bx, by+1), dc(bx+1, by+1)
			coef := c.coef[(by*c.bw+bx)*nn:][:nn]
			for _, e := range ests {
				if coef[e.sl] != 0 {
					continue
				}
				var num int64
				switch e.k {
				case 1: // horizontal gradient
					num = 36 * q00 * (dc4 - dc6)
				case 2: // vertical gradient
					num = 36 * q00 * (dc2 - dc8)
				case 3: // vertical curvature
					num = 9 * q00 * (dc2 + dc8 - 2*dc5)
				case 4: // diagonal
					num = 5 * q00 * (dc1 - dc3 - dc7 + dc9)
				case 5: // horizontal curvature
					num = 9 * q00 * (dc4 + dc6 - 2*dc5)
				}
				neg := num < 0
				if neg {
					num = -num
				}
				pred := (e.q<<7 + num) / (e.q << 8)
				if al := c.precision[e.k]; al > 0 && pred >= 1<<al {
					pred = 1<<al - 1
				}
				if neg {
					pred = -pred
				}
				coef[e.sl] = int16(pred)
			}
		}
	}
}
