package hevc

var intraPredAngle = [35]int32{0, 0, 32, 26, 21, 17, 13, 9, 5, 2, 0, -2, -5, -9, -13, -17, -21, -26,
	-32, -26, -21, -17, -13, -9, -5, -2, 0, 2, 5, 9, 13, 17, 21, 26, 32}

var invAngle = [35]int32{11: -4096, 12: -1638, 13: -910, 14: -630, 15: -482, 16: -390, 17: -315,
	18: -256, 19: -315, 20: -390, 21: -482, 22: -630, 23: -910, 24: -1638, 25: -4096}

// predict writes the intra prediction of the block of 1<<log2Size at
// (x0, y0) in plane cIdx with mode into the plane (8.4.4.2).
func (d *picDecoder) predict(cIdx, x0, y0, log2Size, mode int) {
	s := d.s
	n := 1 << log2Size
	bitDepth := s.bitDepthY
	shift := 0 // component to luma coordinates
	if cIdx > 0 {
		bitDepth = s.bitDepthC
		shift = 1
	}
	pl, st := d.planes[cIdx], d.stride[cIdx]
	// ref[0..2n-1] is p[-1][2n-1-i] (left column, bottom up), ref[2n] the
	// corner p[-1][-1], ref[2n+1+x] is p[x][-1] (top row).
	nref := 4*n + 1
	ref, ok := d.ref[:nref], d.refOK[:nref]
	unit := 4 >> shift // samples per 4x4 luma block
	xL, yL := x0<<shift, y0<<shift
	anyAvail := false
	// left column, bottom to top, and the corner
	for y := -1; y < 2*n; y += unit {
		yy := y
		if y < 0 {
			yy = -1
		}
		a := d.avail(xL, yL, xL-1, (y0+yy)<<shift)
		cnt := unit
		if y < 0 {
			cnt = 1
		}
		for j := range cnt {
			i := 2*n - 1 - (yy + j)
			ok[i] = a
			if a {
				ref[i] = int32(pl[(y0+yy+j)*st+x0-1])
				anyAvail = true
			}
		}
		if y < 0 {
			y = -unit
		}
	}
	for x := 0; x < 2*n; x += unit {
		a := d.avail(xL, yL, (x0+x)<<shift, yL-1)
		for j := range unit {
			i := 2*n + 1 + x + j
			ok[i] = a
			if a {
				ref[i] = int32(pl[(y0-1)*st+x0+x+j])
				anyAvail = true
			}
		}
	}
	if !anyAvail {
		v := int32(1) << (bitDepth - 1)
		for i := range ref {
			ref[i] = v
		}
	} else {
		if !ok[0] {
			for i := 1; i < nref; i++ {
				if ok[i] {
					ref[0] = ref[i]
					break
				}
			}
		}
		for i := 1; i < nref; i++ {
			if !ok[i] {
				ref[i] = ref[i-1]
			}
		}
	}
	// Reference sample filtering (8.4.4.2.3), luma only in 4:2:0.
	if cIdx == 0 && mode != 1 && n != 4 {
		dist := min(abs(mode-26), abs(mode-10))
		thres := 0 // intraHorVerDistThres
		switch n {
		case 8:
			thres = 7
		case 16:
			thres = 1
		}
		if dist > thres {
			f := d.refF[:nref]
			c := ref[2*n]
			if s.strongIntraSmooth && n == 32 &&
				abs32(c+ref[4*n]-2*ref[3*n]) < 1<<(bitDepth-5) &&
				abs32(c+ref[0]-2*ref[n]) < 1<<(bitDepth-5) {
				f[2*n] = c
				for i := range 63 {
					// left: p[-1][i] is ref[63-i]; top: p[i][-1] is ref[65+i]
					f[63-i] = ((63-int32(i))*c + (int32(i)+1)*ref[0] + 32) >> 6
					f[65+i] = ((63-int32(i))*c + (int32(i)+1)*ref[128] + 32) >> 6
				}
				f[0], f[128] = ref[0], ref[128]
			} else {
				f[0], f[nref-1] = ref[0], ref[nref-1]
				for i := 1; i < nref-1; i++ {
					f[i] = (ref[i-1] + 2*ref[i] + ref[i+1] + 2) >> 2
				}
			}
			ref = f
		}
	}
	// L[1+y] is p[-1][y] and T[1+x] is p[x][-1]; L[0] and T[0] the corner.
	L := d.left[:2*n+1]
	for i := range L {
		L[i] = ref[2*n-i]
	}
	T := ref[2*n:]
	maxV := int32(1)<<bitDepth - 1
	out := pl[y0*st+x0:]
	switch {
	case mode == 0: // planar
		tr, bl := T[1+n], L[1+n]
		// Column x adds (n-1-y)*T[1+x] + (y+1)*bl: start at y = 0 and step
		// by bl-T[1+x] a row.
		var vert, step [32]int32
		for x := range n {
			vert[x] = int32(n-1)*T[1+x] + bl + int32(n)
			step[x] = bl - T[1+x]
		}
		shift := uint(log2Size + 1)
		for y := range n {
			row := out[y*st : y*st+n]
			ly := L[1+y]
			h := int32(n-1)*ly + tr // (n-1-x)*ly + (x+1)*tr at x = 0
			dh := tr - ly
			for x := range row {
				row[x] = uint16((h + vert[x]) >> shift)
				h += dh
				vert[x] += step[x]
			}
		}
	case mode == 1: // DC
		var sum int32
		for i := 1; i <= n; i++ {
			sum += T[i] + L[i]
		}
		dc := uint16((sum + int32(n)) >> (log2Size + 1))
		for y := range n {
			row := out[y*st : y*st+n]
			for x := range row {
				row[x] = dc
			}
		}
		if cIdx == 0 && n < 32 {
			dc := int32(dc)
			out[0] = uint16((L[1] + 2*dc + T[1] + 2) >> 2)
			for x := 1; x < n; x++ {
				out[x] = uint16((T[1+x] + 3*dc + 2) >> 2)
			}
			for y := 1; y < n; y++ {
				out[y*st] = uint16((L[1+y] + 3*dc + 2) >> 2)
			}
		}
	default:
		angle := intraPredAngle[mode]
		vertical := mode >= 18
		A, S := T, L // along the prediction direction's main side, and the other
		if !vertical {
			A, S = L, T
		}
		m := d.main[:3*n+1] // m[n+x] is ref[x] of the spec, x from -n to 2n
		if angle < 0 {
			copy(m[n:2*n+1], A[:n+1])
			if last := (n * int(angle)) >> 5; last < -1 {
				inv := int(invAngle[mode])
				for x := last; x <= -1; x++ {
					m[n+x] = S[(x*inv+128)>>8]
				}
			}
		} else {
			copy(m[n:3*n+1], A[:2*n+1])
		}
		for y := range n {
			pos := int32(y+1) * angle
			idx, fact := n+int(pos>>5)+1, pos&31
			src := m[idx : idx+n+1]
			if vertical {
				row := out[y*st : y*st+n]
				if fact == 0 {
					for x := range row {
						row[x] = uint16(src[x])
					}
				} else {
					for x := range row {
						row[x] = uint16(((32-fact)*src[x] + fact*src[x+1] + 16) >> 5)
					}
				}
			} else {
				for x := range n {
					v := src[x]
					if fact != 0 {
						v = ((32-fact)*src[x] + fact*src[x+1] + 16) >> 5
					}
					out[x*st+y] = uint16(v)
				}
			}
		}
		if cIdx == 0 && n < 32 && (mode == 26 || mode == 10) {
			for i := range n {
				v := uint16(min(max(A[1]+((S[1+i]-S[0])>>1), 0), maxV))
				if vertical {
					out[i*st] = v
				} else {
					out[i] = v
				}
			}
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}
