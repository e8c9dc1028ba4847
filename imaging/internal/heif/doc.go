// Package heif reads the container of HEIC images: the ISO base media file
// format boxes (ISO/IEC 14496-12) that HEIF (ISO/IEC 23008-12) uses to
// describe still images coded with HEVC. It finds the primary image, its
// grid of tiles if it is a derived grid image, the properties that say how
// to show it (size, clean aperture, rotation, mirroring, colour, bit depth),
// the HEVC decoder configuration of each coded image, and the Exif item.
// It decodes no pixels: Image.NALUnits returns each coded image's NAL units
// for an HEVC decoder.
//
// The image is the primary item, the one pitm names. Thumbnails (thmb
// references) and auxiliary images (auxl: alpha, depth, gain maps) are other
// items and are never decoded; the Exif item is the one whose cdsc
// reference describes the primary item. Every size, count and
// offset read from the file is checked against the file's length and the
// package's limits (items, extents, properties, grid tiles) before it is
// used, so a hostile file costs at most a walk over its own bytes.
//
// # Errors
//
// Parse returns a *FormatError for a file that is not a valid HEIF file
// (truncated, boxes overlapping their parent, references to missing items,
// a grid its tiles do not cover), and an *UnsupportedError for a valid one
// whose primary image this package cannot describe for decoding: coded with
// something other than HEVC (AVIF, JPEG), derived other than by a grid
// (overlays, identity), stored in another file or protected, or carrying an
// essential property it does not know.
package heif
