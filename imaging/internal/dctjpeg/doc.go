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
//     1/8 that is every AC scan of the luma.
//
// A reduced block is what libjpeg's scaled inverse DCT gives: the full-size
// block without the frequencies the smaller block cannot represent, sampled
// at the centre of each 2×2, 4×4 or 8×8 group, so that nothing folds back
// as aliasing and what remains keeps its contrast. At 1/8, subsampled
// chroma is decoded with 2×2 blocks where that brings it to the luma's
// resolution, as libjpeg does, rather than replicated later. Blocks that reach past the right or bottom edge of
// the image are averaged over their real samples only (in progressive files
// at 1/8 this is not possible, and the encoder's padding counts as in
// libjpeg).
//
// It handles Huffman and arithmetic coding (T.81 Annex D), sequential and
// progressive, restart intervals, any sampling factors, the typical Huffman
// tables of Annex K for Motion-JPEG frames that leave them out, DNL
// segments after a frame that gives its height, and gray, YCbCr, RGB, CMYK
// and YCCK images (Adobe APP14). At full scale it uses image/jpeg's
// integer inverse DCT, so on the files image/jpeg decodes whole its samples
// are image/jpeg's (YCCK's conversion to CMYK would magnify any chroma
// difference almost threefold), and it matches libjpeg's djpeg at 40 dB or
// more.
//
// Where a progressive file leaves the lowest AC coefficients unknown or
// approximate (cut short, or a scan script that leaves scans out), they are
// estimated from the neighbouring blocks' DC, as libjpeg's block smoothing
// does, so that flat blocks do not stand out as tiles.
//
// Damaged data is recovered from as libjpeg does: stray bytes before a
// marker are skipped, decoding resumes at the next restart marker after
// corrupt data, and a file cut short gives the rows that arrived. Decode
// then returns the image with a *DamageError saying how much is missing,
// for the caller to judge against the part of the image it needs.
//
// # Errors
//
// Decode and DecodeConfig return a *FormatError for input that is not a
// valid JPEG (corrupt beyond recovery, or cut short before any image
// data), an *UnsupportedError for valid JPEGs it does not handle (12-bit
// samples, the lossless and hierarchical processes, a height given only by
// a DNL segment, 4-component files without an Adobe marker; libjpeg as
// built by distributions reads none of them either), a *DamageError with
// the image as above, and an error wrapping
// ErrTooLarge when the header asks for more than the pixel or memory budget
// of Options; that check happens before any pixel memory is allocated.
// Errors of the underlying reader are returned as they are.
package dctjpeg
