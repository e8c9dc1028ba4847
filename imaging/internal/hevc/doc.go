// Package hevc decodes one intra-coded HEVC picture, as HEIF images carry
// them, into planes of samples. It is written from ITU-T H.265
// (https://www.itu.int/rec/T-REC-H.265) for still pictures:
//
//   - Main, Main 10 and Main Still Picture profiles, and the format range
//     extensions profiles as far as they stay within 8 or 10 bits and 4:2:0
//     or 4:0:0 (monochrome) without any range extension coding tool;
//   - I slices only, in any number of independent and dependent slice
//     segments, with tiles and wavefront parallel processing entry points;
//   - CABAC, the coding quadtree, PCM, transquant bypass, transform skip,
//     scaling lists, sign data hiding, all intra prediction modes, the
//     inverse DST and DCT, deblocking and sample adaptive offset;
//   - the conformance window of the sequence parameter set crops the output.
//
// The decoder is bit-exact: its output is the one H.265 defines.
//
// Input is a list of NAL units, each with its two-byte header and with its
// emulation prevention bytes, without start codes or length prefixes: the
// VPS, SPS and PPS (as an hvcC box lists them) followed by the slice segment
// NAL units of one picture. Other NAL units (SEI, access unit delimiters) are
// skipped.
//
// # Errors
//
// Decode and DecodeConfig return a *FormatError for input that is not a
// valid stream (corrupt, truncated, out of range, or a picture larger than
// MaxSide on a side or MaxPixels in all) and an *UnsupportedError for valid
// streams it does not decode (P and B slices, 4:2:2 and 4:4:4 chroma,
// more than 10 bits, range extension coding tools, several layers or
// pictures, a conformance window that crops more than 128 samples from the
// width or the height), naming the feature. The last rule lets a caller
// bound the memory Decode allocates by the size DecodeConfig reports.
package hevc
