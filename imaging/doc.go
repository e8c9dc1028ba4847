// Package imaging turns a photo as people upload it into a contact photo: an
// upright, square, metadata-free JPEG with the face in the middle.
//
// Process sniffs the format from the content, never from a name or a
// Content-Type: JPEG (baseline and progressive, Huffman or arithmetic coded,
// any chroma subsampling, grayscale, CMYK and YCCK; damaged files as libjpeg
// recovers them, sent when under a tenth of the crop is missing), PNG (8 and 16 bit, palette, gray, alpha), GIF
// (the first frame), WebP (lossy, lossless, alpha, the first frame of an
// animation), BMP, TIFF and HEIC (the primary image, a grid of tiles or one
// coded image, 8 or 10 bits, 4:2:0 or 4:0:0). It checks the pixel budget from
// the header before any pixel buffer is allocated and applies the Exif
// orientation, read from JPEG APP1, PNG eXIf, WebP EXIF or the TIFF's own
// tags; a broken or out-of-range orientation is ignored rather than guessed.
// HEIC carries its orientation in the container's irot and imir properties,
// which are applied with its clean aperture (clap) instead; the Exif item
// repeats it and is not applied again. HEIC tiles are decoded one at a time
// and reduced at once, so only the reduced image is ever whole.
//
// The crop modes are CropFace, CropCenter and CropNone, which keeps the whole
// image. CropFace detects faces with pigo on a grayscale intermediate of at
// most 640 pixels, checking weak detections on the photo mirrored; unless
// that finds a single sure face, with face-api.js's tiny face network on a
// colour copy 416 pixels long; when neither finds one, with OpenCV's Haar
// frontal and profile cascades; and when still none is found, on copies
// turned by 15°, 30° and 45° each way for tilted heads. It judges the
// square by the circle contacts apps show: it keeps in that circle, with
// room around them, the heads (estimated from the faces) of as many faces
// as fit, preferring larger and then more central ones; it frames a lone
// head at half the height with the eyes a little above the middle, and a
// group as wide as the photo allows, for the members the detector missed.
// When no square inside the photo holds every head whole, the square may
// reach beyond the photo, by at most 35% of its area, and what lies beyond
// is filled with the photo's edge, blurred. Without a face it keeps the
// centre, or, for portrait photos, a square near the top. A face crop never
// zooms in past half the image's shorter side, nor below 320 pixels (or the
// output size when smaller), so it keeps resolution. Result.CropReason says
// why the crop went where it did, and Result.Faces what was found.
//
// Resampling is one pass of Keys' cubic (a = -0.75, a little sharper than
// Catmull-Rom) widened with the reduction, after a box average for large
// reductions, computed in linear light; values the kernel pushes past the
// range of the pixels an output pixel covers are clipped, so edges do not
// ring. A JPEG is first reduced in the DCT domain to twice the output size. Transparency is
// flattened onto white; 16-bit samples keep their precision up to the
// output; an embedded RGB matrix/TRC ICC profile (Display P3, Adobe RGB,
// Apple's Generic RGB or ProPhoto with their gamma 1.8, any parametric,
// gamma or sampled tone curve) is converted to sRGB. CMYK is converted through its embedded press profile (8- or 16-bit
// lookup tables, as Photoshop and Ghostscript write them), else by the
// textbook formula. Images are never scaled up. The JPEG is written at Options.Quality, stepping down
// until it fits Options.MaxBytes, and carries no Exif, GPS, XMP, ICC or
// comment.
//
// # Memory
//
// Before any pixel buffer exists, Process computes from the header the
// peak memory the decoder of the format really allocates, with what the
// photo is then made in: JPEG's scaled planes and coefficients; a large
// non-interlaced PNG's reduced image, into which it is decoded row by row
// (its peak grows with its width and the output, not its height); the
// image image/png, x/image/bmp or x/image/webp allocates, 1.75 times it for
// an interlaced PNG; a GIF's or animated WebP's first frame, placed on its
// canvas without allocating the canvas; a TIFF's image and the strip or
// tile buffer x/image/tiff grows; an embedded profile to inflate. A peak
// over Options.MaxDecodeBytes is refused for good (ErrTooLarge). A JPEG is
// decoded at twice the size the photo needs where that fits, and else at
// the size it needs, which costs the resampler's headroom but no
// resolution: a large progressive JPEG keeps a quarter of the coefficients
// at 1/2 that it keeps whole.
//
// Options.Memory, a MemoryBudget, lets several images decoded at once share
// one process's memory: Process acquires the peak from it before decoding
// and releases it when it returns, and waits while the budget is in use.
// A decode path added to the package computes its peak in decodePeak from
// what its header says, for the buffers its decoder allocates, and load
// acquires it with the rest; nothing else is needed.
//
// The package is pure: it does no I/O beyond reading the given reader.
// Process and Decode are safe for concurrent use.
//
// # Errors
//
// Every error Process returns for image data describes the input and is
// permanent: reading the same bytes again gives the same error. Each
// implements Permanent() bool, which reports true, and its message is meant
// for the person who uploaded the photo.
//
//   - errors.Is(err, ErrUnsupportedFormat): the data is not in a format
//     Process reads, or uses a variant the decoder lacks. The message names
//     what was seen, e.g. "AVIF is not supported yet; export as JPEG".
//   - *FormatError (errors.As): the data is corrupt or truncated; it wraps
//     the decoder's error.
//   - errors.Is(err, ErrTooLarge): the image is over the pixel budget, its
//     Exif block is over MaxExifBytes, a progressive JPEG has more than 100
//     scans, decoding it needs more memory than Options.MaxDecodeBytes or
//     than Options.Memory can ever lend, or the photo cannot be made to fit
//     Options.MaxBytes.
//
// An error of Options.Memory that is not permanent (the wait for memory
// ended at a deadline) is returned wrapped, as it is: it is not about the
// image, and the same image may be decoded later.
//
// Invalid Options are reported with an error of none of these kinds.
package imaging
