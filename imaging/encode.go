package imaging

import (
	"bytes"
	"image"
	"image/jpeg"
)

// encodeWithin encodes m as JPEG at quality q, or at the highest quality
// below it whose output fits maxBytes. The stdlib encoder writes no
// metadata segments at all, so nothing from the source (GPS, camera serials)
// reaches the output.
func encodeWithin(m image.Image, q, maxBytes int) ([]byte, int, error) {
	var buf bytes.Buffer
	enc := func(q int) []byte {
		buf.Reset()
		// Writing to a bytes.Buffer cannot fail and m is a valid RGBA image.
		_ = jpeg.Encode(&buf, m, &jpeg.Options{Quality: q})
		return buf.Bytes()
	}
	if b := enc(q); len(b) <= maxBytes {
		return bytes.Clone(b), q, nil
	}
	// Size grows with quality, so binary search the highest quality that
	// fits instead of trying every step.
	floor := max(1, min(minQuality, q-1))
	lo, hi := floor, q-1
	var best []byte
	bestQ := 0
	for lo <= hi {
		mid := (lo + hi) / 2
		if b := enc(mid); len(b) <= maxBytes {
			best, bestQ = bytes.Clone(b), mid
			lo = mid + 1
		} else {
			hi = mid - 1
		}
	}
	if best == nil {
		return nil, 0, tooLargef("a %dx%d photo does not fit in %d bytes even at JPEG quality %d",
			m.Bounds().Dx(), m.Bounds().Dy(), maxBytes, floor)
	}
	return best, bestQ, nil
}
