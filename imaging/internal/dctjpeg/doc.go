// Package dctjpeg decodes JPEG images straight into a reduced size: 1/2,
// 1/4 or 1/8 of the stored size (or the full size), by running smaller
// inverse DCTs on the low-frequency coefficients of each 8×8 block. It is
// written from ITU-T T.81 for the pipeline's one job, making a small photo
// from a large one, and never holds the full-size image:
//
//   - Baseline and extended sequential files are decoded one MCU at a time
//     straight into the reduced output planes.
//   - Progressive files keep only the coefficients the scale needs (1, 4 or
//     16 of 64, plus one bit per coefficient where a later refinement scan
//     needs to know which are nonzero). Scans whose spectral band adds
//     nothing at the chosen scale are skipped without Huffman decoding; at
//     1/8 that is every AC scan.
//
// A reduced block is the full-size block averaged over 2×2, 4×4 or 8×8
// samples, except that frequencies the smaller block cannot represent are
// dropped instead of folded back as aliasing. Blocks that reach past the
// right or bottom edge of the image are reduced over their real samples
// only (in progressive files at 1/8 this is not possible, and the encoder's
// padding counts as in libjpeg).
//
// It handles Huffman coding, restart intervals, any sampling factors, and
// gray, YCbCr, RGB, CMYK and YCCK images (Adobe APP14). At full scale its
// output matches image/jpeg within ±1 per sample (±2 for YCCK, whose
// conversion to CMYK magnifies chroma differences).
//
// # Errors
//
// Decode and DecodeConfig return a *FormatError for input that is not a
// valid JPEG (corrupt or truncated), an *UnsupportedError for valid JPEGs it
// does not handle (arithmetic coding, 12-bit samples, the lossless and
// hierarchical processes, DNL markers, 4-component files without an Adobe
// marker), on which callers fall back to image/jpeg, and an error wrapping
// ErrTooLarge when the header asks for more than the pixel or memory budget
// of Options; that check happens before any pixel memory is allocated.
// Errors of the underlying reader are returned as they are.
package dctjpeg
