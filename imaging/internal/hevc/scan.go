package hevc

// A scan position within a block: x (column) and y (row).
type pos struct{ x, y uint8 }

// scanOrder[log2Size][scanIdx] lists the positions of a block of 1<<log2Size
// square in the up-right diagonal (0), horizontal (1) and vertical (2) scans
// (6.5.3 to 6.5.5), for log2Size 0..3.
var scanOrder [4][3][]pos

// scanPos[log2Size][scanIdx][y<<log2Size|x] is the inverse of scanOrder.
var scanPos [4][3][]uint8

func init() {
	for log2 := range 4 {
		n := 1 << log2
		diag := make([]pos, 0, n*n)
		x, y := 0, 0
		for len(diag) < n*n {
			for y >= 0 {
				if x < n && y < n {
					diag = append(diag, pos{uint8(x), uint8(y)})
				}
				y--
				x++
			}
			y, x = x, 0
		}
		hor := make([]pos, 0, n*n)
		ver := make([]pos, 0, n*n)
		for i := range n * n {
			hor = append(hor, pos{uint8(i % n), uint8(i / n)})
			ver = append(ver, pos{uint8(i / n), uint8(i % n)})
		}
		scanOrder[log2] = [3][]pos{diag, hor, ver}
		for s := range 3 {
			inv := make([]uint8, n*n)
			for i, p := range scanOrder[log2][s] {
				inv[int(p.y)<<log2|int(p.x)] = uint8(i)
			}
			scanPos[log2][s] = inv
		}
	}
}
