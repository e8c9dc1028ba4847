package hevc

// scalingFactors holds ScalingFactor (7.4.5) for sizeId 0..3 (4x4 to 32x32)
// and matrixId 0..5 (intra Y, Cb, Cr, then inter), each a row-major square
// array m[y*n+x]. Only the intra matrices are used.
type scalingFactors [4][6][]uint8

// Default 8x8 lists in up-right diagonal order (Table 7-6).
var defaultIntra8 = [64]uint8{
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 17, 16, 17, 16, 17, 18,
	17, 18, 18, 17, 18, 21, 19, 20, 21, 20, 19, 21, 24, 22, 22, 24,
	24, 22, 22, 24, 25, 25, 27, 30, 27, 25, 25, 29, 31, 35, 35, 31,
	29, 36, 41, 44, 41, 36, 47, 54, 54, 47, 65, 70, 65, 88, 88, 115,
}

var defaultInter8 = [64]uint8{
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 17, 17, 17, 17, 17, 18,
	18, 18, 18, 18, 18, 20, 20, 20, 20, 20, 20, 20, 24, 24, 24, 24,
	24, 24, 24, 24, 25, 25, 25, 25, 25, 25, 25, 28, 28, 28, 28, 28,
	28, 33, 33, 33, 33, 33, 41, 41, 41, 41, 54, 54, 54, 71, 71, 91,
}

// scalingList is ScalingList[sizeId][matrixId] in coded (diagonal) order,
// with the DC value of sizeId 2 and 3.
type scalingList struct {
	coef [64]uint8
	dc   uint8
}

func defaultList(sizeID, matrixID int) scalingList {
	var l scalingList
	switch {
	case sizeID == 0:
		for i := range 16 {
			l.coef[i] = 16
		}
	case matrixID < 3:
		l.coef = defaultIntra8
	default:
		l.coef = defaultInter8
	}
	l.dc = 16
	return l
}

func defaultScalingFactors() *scalingFactors {
	var lists [4][6]scalingList
	for sizeID := range 4 {
		for m := range 6 {
			lists[sizeID][m] = defaultList(sizeID, m)
		}
	}
	return expandScaling(&lists)
}

// parseScalingListData reads scaling_list_data() (7.3.4).
func parseScalingListData(r *bitReader) (*scalingFactors, error) {
	var lists [4][6]scalingList
	for sizeID := range 4 {
		step := 1
		if sizeID == 3 {
			step = 3
		}
		for m := 0; m < 6; m += step {
			if !r.flag() { // scaling_list_pred_mode_flag
				delta := r.ueMax("scaling_list_pred_matrix_id_delta", uint32(m/step))
				if r.err != nil {
					return nil, r.err
				}
				if delta == 0 {
					lists[sizeID][m] = defaultList(sizeID, m)
				} else {
					lists[sizeID][m] = lists[sizeID][m-delta*step]
				}
				continue
			}
			next := 8
			n := min(64, 1<<(4+sizeID<<1))
			if sizeID > 1 {
				dc := r.seRange("scaling_list_dc_coef_minus8", -7, 247)
				next = dc + 8
				lists[sizeID][m].dc = uint8(next)
			}
			for i := range n {
				d := r.seRange("scaling_list_delta_coef", -128, 127)
				next = (next + d + 256) % 256
				if next == 0 && r.err == nil {
					return nil, formatErr("scaling list value 0")
				}
				lists[sizeID][m].coef[i] = uint8(next)
			}
			if sizeID <= 1 {
				lists[sizeID][m].dc = lists[sizeID][m].coef[0]
			}
		}
		if r.err != nil {
			return nil, r.err
		}
	}
	// The 32x32 chroma matrices (used only in 4:4:4) follow the 16x16 ones.
	for _, m := range []int{1, 2, 4, 5} {
		lists[3][m] = lists[2][m]
	}
	return expandScaling(&lists), nil
}

// expandScaling derives ScalingFactor from the coded lists (7.4.5).
func expandScaling(lists *[4][6]scalingList) *scalingFactors {
	var sf scalingFactors
	for sizeID := range 4 {
		n := 4 << sizeID
		for m := range 6 {
			l := &lists[sizeID][m]
			f := make([]uint8, n*n)
			if sizeID == 0 {
				for i, p := range scanOrder[2][0] {
					f[int(p.y)*4+int(p.x)] = l.coef[i]
				}
			} else {
				rep := n / 8
				for i, p := range scanOrder[3][0] {
					for j := range rep {
						for k := range rep {
							f[(int(p.y)*rep+j)*n+int(p.x)*rep+k] = l.coef[i]
						}
					}
				}
				if sizeID >= 2 {
					f[0] = l.dc
				}
			}
			sf[sizeID][m] = f
		}
	}
	return &sf
}
