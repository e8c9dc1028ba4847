// Package imaging turns a photo as people upload it into a contact photo: an
// upright, square, metadata-free JPEG with the face in the middle.
//
// Process sniffs the format from the content, never from a name or a
// Content-Type: JPEG (baseline and progressive, Huffman or arithmetic coded,
// any chroma subsampling, grayscale, CMYK and YCCK; damaged files as libjpeg
// recovers them, sent when under a tenth of the crop is missing), PNG (8 and 16 bit, palette, gray, alpha), GIF
// (the first frame), WebP (lossy, lossless, alpha, the first frame of an
// animation), BMP and TIFF. It checks the pixel budget from the header before
// any pixel buffer is allocated and applies the Exif orientation, read from
// JPEG APP1, PNG eXIf, WebP EXIF or the TIFF's own tags; a broken or
// out-of-range orientation is ignored rather than guessed.
//
// The crop modes are CropFace, CropCenter and CropNone, which keeps the whole
// image. CropFace detects faces with pigo on a grayscale intermediate of at
// most 640 pixels, checks weak detections on the photo mirrored, and, when
// the upright search finds none, searches copies turned by 15°, 30° and 45°
// each way for tilted heads. It judges the square by the circle contacts
// apps show: it keeps in that circle, with room around them, the heads
// (estimated from the faces) of as many faces as fit, preferring larger and
// then more central ones; it frames a lone head at half the height with
// the eyes a little above the middle, and a group as wide as the photo
// allows, for the members the detector missed. Without a face it keeps the centre,
// or, for portrait photos, a square near the top. A face crop never zooms
// in past half the image's shorter side, nor below 320 pixels (or the
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
//     what was seen, e.g. "HEIC is not supported yet; export as JPEG".
//   - *FormatError (errors.As): the data is corrupt or truncated; it wraps
//     the decoder's error.
//   - errors.Is(err, ErrTooLarge): the image is over the pixel budget, its
//     Exif block is over MaxExifBytes, a progressive JPEG has more than 100
//     scans, or the photo cannot be made to fit Options.MaxBytes.
//
// Invalid Options are reported with an error of none of these kinds.
package imaging
