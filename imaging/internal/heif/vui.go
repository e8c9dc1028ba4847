package heif

import "github.com/contactphoto/contactphoto/imaging/internal/hevc"

// videoSignal returns the colour description of the parameter sets' SPS
// VUI, which HEIF lets describe the coded image's colour when there is no
// colr nclx property (ISO/IEC 23008-12 6.5.5.1; ITU-T H.265 E.2.1): Type
// "nclx", with the code points 2 (unspecified) where the VUI gives none, and
// FullRange false when it does not say, as H.265 infers. The decoder's own
// reading of the SPS serves; parameter sets it cannot read give the
// unspecified description, and the decode itself reports why.
func videoSignal(paramSets [][]byte) Colour {
	cfg, err := hevc.DecodeConfig(paramSets)
	if err != nil {
		return Colour{Type: "nclx", Primaries: 2, TransferCharacteristics: 2, MatrixCoeffs: 2}
	}
	return Colour{Type: "nclx", Primaries: cfg.ColourPrimaries, TransferCharacteristics: cfg.TransferCharacteristics,
		MatrixCoeffs: cfg.MatrixCoeffs, FullRange: cfg.FullRange}
}
