// Package imaging turns a photo as people upload it into a contact photo: an
// upright, square, metadata-free JPEG with the face in the middle.
//
// Process sniffs the format from the content (JPEG, PNG, GIF, WebP, BMP and
// TIFF), checks the pixel budget from the header before any pixel buffer is
// allocated, applies the Exif orientation, chooses the square (around the
// faces, centred, or the whole image), resamples it without upscaling and
// encodes it as JPEG within a byte budget. Transparent pixels are flattened
// onto white. The output carries no Exif, GPS or other metadata.
//
// The package is pure: it does no I/O beyond reading the given reader.
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
