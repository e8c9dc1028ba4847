package heif

import (
	"encoding/binary"
	"fmt"
	"image"
	"slices"
)

// Bounds on what a file may describe. Real files stay far below them:
// iPhones write one grid of at most a few hundred tiles, a thumbnail, an
// Exif and an XMP item, and perhaps depth and HDR gain maps with their own
// grids.
const (
	maxItems      = 1 << 14
	maxGridTiles  = 64 * 64 // 32768×32768 pixels in 512×512 tiles
	maxProperties = 1 << 12
	// maxExtents bounds the extents of all items together, and
	// maxItemExtents those of one item (writers use one, or a few for data
	// written in pieces); an iloc whose field sizes are 0 describes an
	// extent in no bytes at all.
	maxExtents     = 1 << 16
	maxItemExtents = 1 << 8
	// maxExifBytes bounds the Exif item; a JPEG APP1 segment, whose
	// content it carries, holds at most 64 KiB.
	maxExifBytes = 1 << 20
)

// A File is the parsed container.
type File struct {
	Primary *Image
	// Exif is the TIFF structure of the Exif item describing the primary
	// image (the item's header offset skipped), or nil when there is none.
	Exif []byte
	data []byte
	idat []byte // the meta box's idat payload, for construction method 1
}

// An Image is an image item: a coded HEVC image (Type "hvc1") or a grid
// (Type "grid") of coded images.
type Image struct {
	ID   uint32
	Type string
	// Width and Height are those of the ispe property: the coded size of
	// a coded image, the output size of a grid.
	Width, Height int
	// Grid is set for a grid: Tiles in row-major order, all of one size,
	// covering Width×Height from the top left; the rest is cropped.
	Grid *Grid
	// Config is the HEVC decoder configuration of a coded image (hvcC);
	// for a grid, that of its first tile.
	Config *HEVCConfig
	// Transforms are the clean aperture, rotation and mirroring to apply
	// to the image, in this order (the order of association).
	Transforms []Transform
	// Colour is the colour information (colr), Colour.Type "" when absent.
	Colour Colour
	// BitDepths is the bits per channel of the pixi property, nil when absent.
	BitDepths []int
	extents   []extent
	file      *File
}

// A Grid is the layout of a grid derived image.
type Grid struct {
	Rows, Columns int
	Tiles         []*Image
}

// HEVCConfig is what an HEVCDecoderConfigurationRecord (ISO/IEC 14496-15)
// says: the chroma format and bit depths, how long the NAL unit length
// prefixes are, and the parameter set NAL units.
type HEVCConfig struct {
	ChromaFormat                 int // 0 = 4:0:0, 1 = 4:2:0, 2 = 4:2:2, 3 = 4:4:4
	BitDepthLuma, BitDepthChroma int
	LengthSize                   int // bytes of each NAL unit length prefix: 1, 2 or 4
	ParameterSets                [][]byte
	// VideoSignal is the colour the SPS's VUI describes, for images
	// without a colr nclx property: Type "nclx", code points 2
	// (unspecified) where it says nothing, and limited range unless it
	// says full, as ITU-T H.265 infers.
	VideoSignal Colour
}

// A Transform is a clap, irot or imir property.
type Transform struct {
	Type string // "clap", "irot" or "imir"
	// Rotation is, for irot, the anticlockwise rotation in quarter turns.
	Rotation int
	// Axis is, for imir, 0 when top and bottom are exchanged and 1 when
	// left and right are (ISO/IEC 23008-12:2022 6.5.12).
	Axis int
	// Clap is the clean aperture's fractions, for clap.
	Clap Clap
}

// Clap is a clean aperture (ISO/IEC 14496-12 12.1.4): a width and height,
// and the offset of its centre from the image's, each a fraction.
type Clap struct {
	WidthN, WidthD, HeightN, HeightD int64
	HorizOffN, HorizOffD             int64
	VertOffN, VertOffD               int64
}

// Rect returns the clean aperture in the pixels of a w×h image, or false
// when it does not lie within the image. Fractional edges are rounded as
// libheif 1.15 rounds them, so that both show the same pixels: the left
// edge towards zero, the top edge to the nearest pixel (halves up), and the
// right and bottom edges to the nearest pixel from there.
func (c Clap) Rect(w, h int) (image.Rectangle, bool) {
	if c.WidthD <= 0 || c.HeightD <= 0 || c.HorizOffD <= 0 || c.VertOffD <= 0 || c.WidthN <= 0 || c.HeightN <= 0 {
		return image.Rectangle{}, false
	}
	// The leading edge is off + (n-1)/2 - (size-1)/2, over the common
	// denominator 2·offD·sizeD; the trailing one size-1 past it.
	edges := func(offN, offD, sizeN, sizeD int64, n int, round bool) (lo, hi int64) {
		num, den := 2*offN*sizeD+int64(n-1)*offD*sizeD-(sizeN-sizeD)*offD, 2*offD*sizeD
		if round {
			lo = (num + den/2) / den
		} else {
			lo = num / den
		}
		return lo, (sizeN - sizeD + lo*sizeD + sizeD/2) / sizeD
	}
	x0, x1 := edges(c.HorizOffN, c.HorizOffD, c.WidthN, c.WidthD, w, false)
	y0, y1 := edges(c.VertOffN, c.VertOffD, c.HeightN, c.HeightD, h, true)
	if x0 < 0 || y0 < 0 || x1 < x0 || y1 < y0 || x1 >= int64(w) || y1 >= int64(h) {
		return image.Rectangle{}, false
	}
	return image.Rect(int(x0), int(y0), int(x1)+1, int(y1)+1), true
}

// Colour is a colr property: an nclx description (ITU-T H.273 code
// points) or an ICC profile.
type Colour struct {
	Type                                             string // "nclx", "prof", "rICC", or "" when absent
	Primaries, TransferCharacteristics, MatrixCoeffs int
	FullRange                                        bool
	ICC                                              []byte
}

type extent struct {
	idat        bool
	offset, len uint64 // len 0: to the end
}

// Parse reads the container in data. The returned File refers to data,
// which must not change while it is used.
func Parse(data []byte) (*File, error) {
	top, err := boxes(data, "the file")
	if err != nil {
		return nil, err
	}
	if len(top) == 0 || top[0].typ != "ftyp" {
		return nil, formatErr("the file does not begin with an ftyp box")
	}
	if err := checkBrands(top[0].payload); err != nil {
		return nil, err
	}
	meta := find(top, "meta")
	if meta == nil {
		return nil, formatErr("no meta box")
	}
	f := &File{data: data}
	if err := f.parseMeta(meta.payload); err != nil {
		return nil, err
	}
	return f, nil
}

// checkBrands accepts the brands of HEVC-coded HEIF images and the general
// image brand mif1, under which the primary item's type decides.
func checkBrands(p []byte) error {
	if len(p) < 8 {
		return formatErr("ftyp box is truncated")
	}
	brands := [][]byte{p[:4]}
	for i := 8; i+4 <= len(p); i += 4 {
		brands = append(brands, p[i:i+4])
	}
	for _, b := range brands {
		switch string(b) {
		case "heic", "heix", "heim", "heis", "mif1", "msf1", "miaf":
			return nil
		}
	}
	return unsupported("brand %q is not a HEIF image brand", p[:4])
}

type itemInfo struct {
	id       uint32
	typ      string
	hidden   bool
	props    []association
	extents  []extent
	located  bool
	method   int
	refs     map[string][]uint32 // outgoing references by type
	incoming map[string][]uint32
}

type association struct {
	index     int
	essential bool
}

func (f *File) parseMeta(p []byte) error {
	r := &reader{b: p, ctx: "meta"}
	r.fullBox()
	if r.err != nil {
		return r.err
	}
	children, err := boxes(r.b, "meta")
	if err != nil {
		return err
	}
	hdlr := find(children, "hdlr")
	if hdlr == nil {
		return formatErr("meta has no hdlr box")
	}
	hr := &reader{b: hdlr.payload, ctx: "hdlr"}
	hr.fullBox()
	hr.u32()
	if h := hr.fourCC(); hr.err != nil {
		return hr.err
	} else if h != "pict" {
		return unsupported("meta handler %q is not pict", h)
	}
	pitm := find(children, "pitm")
	if pitm == nil {
		return formatErr("no primary item (pitm)")
	}
	pr := &reader{b: pitm.payload, ctx: "pitm"}
	var primary uint32
	if v, _ := pr.fullBox(); v == 0 {
		primary = uint32(pr.u16())
	} else {
		primary = pr.u32()
	}
	if pr.err != nil {
		return pr.err
	}
	items, err := parseIinf(find(children, "iinf"))
	if err != nil {
		return err
	}
	if err := parseIloc(find(children, "iloc"), items); err != nil {
		return err
	}
	if err := parseIref(find(children, "iref"), items); err != nil {
		return err
	}
	props, err := parseIprp(find(children, "iprp"), items)
	if err != nil {
		return err
	}
	if b := find(children, "idat"); b != nil {
		f.idat = b.payload
	}
	b := &builder{f: f, items: items, props: props}
	root := items[primary]
	if root == nil {
		return formatErr("the primary item %d is not in iinf", primary)
	}
	f.Primary, err = b.image(root, true)
	if err != nil {
		return err
	}
	f.Exif, err = b.exif(primary)
	return err
}

func parseIinf(bx *box) (map[uint32]*itemInfo, error) {
	if bx == nil {
		return nil, formatErr("no item information (iinf)")
	}
	r := &reader{b: bx.payload, ctx: "iinf"}
	var n int
	if v, _ := r.fullBox(); v == 0 {
		n = r.u16()
	} else {
		n = int(r.u32())
	}
	if r.err != nil {
		return nil, r.err
	}
	if n > maxItems {
		return nil, formatErr("iinf lists %d items, over the limit of %d", n, maxItems)
	}
	children, err := boxes(r.b, "iinf")
	if err != nil {
		return nil, err
	}
	items := make(map[uint32]*itemInfo)
	for _, c := range children {
		if c.typ != "infe" {
			continue
		}
		ir := &reader{b: c.payload, ctx: "infe"}
		v, flags := ir.fullBox()
		if v < 2 {
			continue // versions 0 and 1 describe files, not images
		}
		it := &itemInfo{hidden: flags&1 != 0, refs: map[string][]uint32{}, incoming: map[string][]uint32{}}
		if v == 2 {
			it.id = uint32(ir.u16())
		} else {
			it.id = ir.u32()
		}
		if ir.u16() != 0 {
			it.typ = "protected"
		} else {
			it.typ = ir.fourCC()
		}
		if ir.err != nil {
			return nil, ir.err
		}
		if items[it.id] != nil {
			return nil, formatErr("item %d is described twice", it.id)
		}
		items[it.id] = it
	}
	if len(items) != n {
		return nil, formatErr("iinf says %d items but holds %d", n, len(items))
	}
	return items, nil
}

func parseIloc(bx *box, items map[uint32]*itemInfo) error {
	if bx == nil {
		return formatErr("no item locations (iloc)")
	}
	r := &reader{b: bx.payload, ctx: "iloc"}
	v, _ := r.fullBox()
	if v > 2 {
		return unsupported("iloc version %d", v)
	}
	s := r.u16()
	offSize, lenSize, baseSize, idxSize := s>>12, s>>8&15, s>>4&15, s&15
	if v == 0 {
		idxSize = 0
	}
	var n int
	idSize := 2
	if v < 2 {
		n = r.u16()
	} else {
		n, idSize = int(r.u32()), 4
	}
	if n > maxItems {
		return formatErr("iloc lists %d items, over the limit of %d", n, maxItems)
	}
	extents := 0
	for i := 0; i < n && r.err == nil; i++ {
		id := uint32(r.sized(idSize))
		method := 0
		if v > 0 {
			method = r.u16() & 15
		}
		dataRef := r.u16()
		base := r.sized(baseSize)
		count := r.u16()
		if extents += count; extents > maxExtents || count > maxItemExtents {
			return formatErr("iloc lists more than %d extents, or more than %d for one item", maxExtents, maxItemExtents)
		}
		var exts []extent
		for j := 0; j < count && r.err == nil; j++ {
			r.sized(idxSize)
			off, l := r.sized(offSize), r.sized(lenSize)
			if off > 1<<62 || base > 1<<62 {
				return formatErr("item %d has an offset beyond any file", id)
			}
			exts = append(exts, extent{idat: method == 1, offset: base + off, len: l})
		}
		if r.err != nil {
			return r.err
		}
		it := items[id]
		if it == nil {
			continue // a location for an item that iinf does not describe
		}
		if it.located {
			return formatErr("item %d is located twice", id)
		}
		it.located, it.method, it.extents = true, method, exts
		if dataRef != 0 {
			it.method = -1 // in another file
		}
	}
	return nil
}

func parseIref(bx *box, items map[uint32]*itemInfo) error {
	if bx == nil {
		return nil
	}
	r := &reader{b: bx.payload, ctx: "iref"}
	v, _ := r.fullBox()
	idSize := 2
	if v > 0 {
		idSize = 4
	}
	if r.err != nil {
		return r.err
	}
	children, err := boxes(r.b, "iref")
	if err != nil {
		return err
	}
	for _, c := range children {
		cr := &reader{b: c.payload, ctx: "iref " + c.typ}
		from := uint32(cr.sized(idSize))
		n := cr.u16()
		to := make([]uint32, 0, min(n, len(cr.b)/idSize))
		for i := 0; i < n && cr.err == nil; i++ {
			to = append(to, uint32(cr.sized(idSize)))
		}
		if cr.err != nil {
			return cr.err
		}
		it := items[from]
		if it == nil {
			continue
		}
		if it.refs[c.typ] != nil {
			return formatErr("item %d has two %s references", from, c.typ)
		}
		it.refs[c.typ] = to
		for _, t := range to {
			if target := items[t]; target != nil {
				target.incoming[c.typ] = append(target.incoming[c.typ], from)
			}
		}
	}
	return nil
}

func parseIprp(bx *box, items map[uint32]*itemInfo) ([]box, error) {
	if bx == nil {
		return nil, formatErr("no item properties (iprp)")
	}
	children, err := boxes(bx.payload, "iprp")
	if err != nil {
		return nil, err
	}
	ipco := find(children, "ipco")
	if ipco == nil {
		return nil, formatErr("iprp has no ipco box")
	}
	props, err := boxes(ipco.payload, "ipco")
	if err != nil {
		return nil, err
	}
	if len(props) > maxProperties {
		return nil, formatErr("ipco holds %d properties, over the limit of %d", len(props), maxProperties)
	}
	seen := map[uint32]bool{}
	for _, c := range children {
		if c.typ != "ipma" {
			continue
		}
		r := &reader{b: c.payload, ctx: "ipma"}
		v, flags := r.fullBox()
		n := int(r.u32())
		for i := 0; i < n && r.err == nil; i++ {
			var id uint32
			if v < 1 {
				id = uint32(r.u16())
			} else {
				id = r.u32()
			}
			k := r.u8()
			var as []association
			for range k {
				var a association
				if flags&1 != 0 {
					x := r.u16()
					a = association{index: x & 0x7fff, essential: x&0x8000 != 0}
				} else {
					x := r.u8()
					a = association{index: x & 0x7f, essential: x&0x80 != 0}
				}
				if a.index > len(props) {
					return nil, formatErr("item %d is associated with property %d of %d", id, a.index, len(props))
				}
				if a.index > 0 {
					as = append(as, a)
				}
			}
			if r.err != nil {
				return nil, r.err
			}
			if seen[id] {
				return nil, formatErr("item %d has two property associations", id)
			}
			seen[id] = true
			if it := items[id]; it != nil {
				it.props = as
			}
		}
	}
	return props, nil
}

// A builder turns the parsed boxes into Images.
type builder struct {
	f     *File
	items map[uint32]*itemInfo
	props []box
	built map[uint32]*Image // coded images, which a grid may name many times
}

func (b *builder) image(it *itemInfo, primary bool) (*Image, error) {
	if img := b.built[it.id]; img != nil && !primary {
		return img, nil
	}
	img, err := b.buildImage(it, primary)
	if err != nil {
		return nil, err
	}
	if b.built == nil {
		b.built = map[uint32]*Image{}
	}
	b.built[it.id] = img
	return img, nil
}

func (b *builder) buildImage(it *itemInfo, primary bool) (*Image, error) {
	switch it.typ {
	case "hvc1", "grid":
	case "av01":
		return nil, unsupported("AVIF (AV1-coded) images")
	case "jpeg":
		return nil, unsupported("JPEG-coded HEIF images")
	case "protected":
		return nil, unsupported("protected items")
	default:
		return nil, unsupported("%q image items", it.typ)
	}
	if !it.located {
		return nil, formatErr("item %d has no location", it.id)
	}
	if it.method < 0 {
		return nil, unsupported("items stored in another file")
	}
	if it.method > 1 {
		return nil, unsupported("iloc construction method %d", it.method)
	}
	img := &Image{ID: it.id, Type: it.typ, extents: it.extents, file: b.f}
	var haveISPE bool
	for _, a := range it.props {
		p := b.props[a.index-1]
		r := &reader{b: p.payload, ctx: p.typ}
		switch p.typ {
		case "ispe":
			r.fullBox()
			w, h := r.u32(), r.u32()
			if r.err != nil {
				return nil, r.err
			}
			if w == 0 || h == 0 || w > 1<<20 || h > 1<<20 {
				return nil, formatErr("item %d is %dx%d", it.id, w, h)
			}
			img.Width, img.Height, haveISPE = int(w), int(h), true
		case "hvcC":
			c, err := parseHvcC(p.payload)
			if err != nil {
				return nil, err
			}
			img.Config = c
		case "colr":
			if img.Colour.Type != "" {
				continue // the first of each kind applies; nclx and ICC may both be present
			}
			c, err := parseColr(p.payload)
			if err != nil {
				return nil, err
			}
			img.Colour = c
		case "pixi":
			r.fullBox()
			n := r.u8()
			d := r.need(n)
			if r.err != nil {
				return nil, r.err
			}
			img.BitDepths = nil
			for _, v := range d {
				img.BitDepths = append(img.BitDepths, int(v))
			}
		case "irot":
			v := r.u8()
			if r.err != nil {
				return nil, r.err
			}
			img.Transforms = append(img.Transforms, Transform{Type: "irot", Rotation: v & 3})
		case "imir":
			v := r.u8()
			if r.err != nil {
				return nil, r.err
			}
			img.Transforms = append(img.Transforms, Transform{Type: "imir", Axis: v & 1})
		case "clap":
			var v [8]int64
			for i := range v {
				if i%2 == 0 {
					v[i] = int64(int32(r.u32())) // numerators are signed for the offsets
				} else {
					v[i] = int64(r.u32())
				}
			}
			if r.err != nil {
				return nil, r.err
			}
			img.Transforms = append(img.Transforms, Transform{Type: "clap", Clap: Clap{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]}})
		case "auxC", "rloc", "lsel", "a1op", "a1lx", "udes", "altt":
			if a.essential && p.typ != "lsel" {
				return nil, unsupported("essential %s property", p.typ)
			}
		default:
			if a.essential {
				return nil, unsupported("essential %s property", p.typ)
			}
		}
	}
	if !haveISPE {
		return nil, formatErr("item %d has no ispe property", it.id)
	}
	switch it.typ {
	case "hvc1":
		if img.Config == nil {
			return nil, formatErr("item %d has no hvcC property", it.id)
		}
	case "grid":
		if !primary {
			return nil, unsupported("grids of grids")
		}
		if err := b.grid(it, img); err != nil {
			return nil, err
		}
	}
	return img, nil
}

// grid reads the ImageGrid of it (23008-12 6.6.2.3) and its tiles.
func (b *builder) grid(it *itemInfo, img *Image) error {
	desc, err := b.f.itemData(img.extents, 64)
	if err != nil {
		return err
	}
	r := &reader{b: desc, ctx: "grid"}
	version, flags := r.u8(), r.u8()
	rows, cols := r.u8()+1, r.u8()+1
	size := 2
	if flags&1 != 0 {
		size = 4
	}
	w, h := int(r.sized(size)), int(r.sized(size))
	if r.err != nil {
		return r.err
	}
	if version != 0 {
		return unsupported("grid version %d", version)
	}
	if w != img.Width || h != img.Height {
		return formatErr("the grid is %dx%d but its ispe says %dx%d", w, h, img.Width, img.Height)
	}
	if rows*cols > maxGridTiles {
		return formatErr("the grid has %d tiles, over the limit of %d", rows*cols, maxGridTiles)
	}
	ids := it.refs["dimg"]
	if len(ids) != rows*cols {
		return formatErr("the grid has %dx%d cells but %d tiles", cols, rows, len(ids))
	}
	g := &Grid{Rows: rows, Columns: cols}
	for _, id := range ids {
		t := b.items[id]
		if t == nil {
			return formatErr("grid tile %d is not in iinf", id)
		}
		if t.typ != "hvc1" {
			return unsupported("grid tiles of type %q", t.typ)
		}
		tile, err := b.image(t, false)
		if err != nil {
			return err
		}
		if len(tile.Transforms) > 0 {
			return unsupported("transformed grid tiles")
		}
		if first := g.Tiles; len(first) > 0 && (tile.Width != first[0].Width || tile.Height != first[0].Height) {
			return formatErr("grid tiles of different sizes")
		}
		g.Tiles = append(g.Tiles, tile)
	}
	tw, th := g.Tiles[0].Width, g.Tiles[0].Height
	if tw*cols < w || th*rows < h || tw*(cols-1) >= w || th*(rows-1) >= h {
		return formatErr("%dx%d tiles of %dx%d do not make a %dx%d grid", cols, rows, tw, th, w, h)
	}
	img.Grid = g
	img.Config = g.Tiles[0].Config
	return nil
}

// exif returns the TIFF structure of the Exif item that describes the
// item primary, or nil.
func (b *builder) exif(primary uint32) ([]byte, error) {
	for _, from := range b.items[primary].incoming["cdsc"] {
		it := b.items[from]
		if it.typ != "Exif" || !it.located || it.method < 0 || it.method > 1 {
			continue
		}
		d, err := b.f.itemData(it.extents, maxExifBytes)
		if err != nil {
			return nil, err
		}
		if len(d) < 4 {
			return nil, formatErr("the Exif item is truncated")
		}
		off := uint64(binary.BigEndian.Uint32(d))
		if off > uint64(len(d)-4) {
			return nil, formatErr("the Exif item's TIFF header is beyond its end")
		}
		return d[4+off:], nil
	}
	return nil, nil
}

// itemData returns the bytes of an item's extents, joined, failing when
// they exceed limit bytes. A single extent is returned without copying.
func (f *File) itemData(exts []extent, limit int) ([]byte, error) {
	var parts [][]byte
	total := 0
	for _, e := range exts {
		src := f.data
		if e.idat {
			src = f.idat
		}
		if e.offset > uint64(len(src)) || e.len > uint64(len(src))-e.offset {
			return nil, formatErr("an item's data lies beyond the end of the %s", map[bool]string{false: "file", true: "idat box"}[e.idat])
		}
		end := uint64(len(src))
		if e.len > 0 {
			end = e.offset + e.len
		}
		p := src[e.offset:end]
		total += len(p)
		if total > limit {
			return nil, formatErr("an item holds more than %d bytes", limit)
		}
		parts = append(parts, p)
	}
	switch len(parts) {
	case 0:
		return nil, formatErr("an item has no data")
	case 1:
		return parts[0], nil
	}
	return slices.Concat(parts...), nil
}

func parseHvcC(p []byte) (*HEVCConfig, error) {
	r := &reader{b: p, ctx: "hvcC"}
	if r.u8() != 1 && r.err == nil {
		return nil, unsupported("hvcC configuration version other than 1")
	}
	r.need(15)
	c := &HEVCConfig{}
	c.ChromaFormat = r.u8() & 3
	c.BitDepthLuma = r.u8()&7 + 8
	c.BitDepthChroma = r.u8()&7 + 8
	r.need(2)
	c.LengthSize = r.u8()&3 + 1
	if c.LengthSize == 3 {
		return nil, formatErr("hvcC gives NAL unit lengths of 3 bytes")
	}
	arrays := r.u8()
	for i := 0; i < arrays && r.err == nil; i++ {
		r.u8()
		n := r.u16()
		for j := 0; j < n && r.err == nil; j++ {
			l := r.u16()
			if nal := r.need(l); nal != nil {
				if len(nal) < 2 {
					return nil, formatErr("hvcC holds a NAL unit of %d bytes", len(nal))
				}
				c.ParameterSets = append(c.ParameterSets, nal)
			}
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	c.VideoSignal = videoSignal(c.ParameterSets)
	return c, nil
}

func parseColr(p []byte) (Colour, error) {
	r := &reader{b: p, ctx: "colr"}
	c := Colour{Type: r.fourCC()}
	switch c.Type {
	case "nclx":
		c.Primaries, c.TransferCharacteristics, c.MatrixCoeffs = r.u16(), r.u16(), r.u16()
		c.FullRange = r.u8()&0x80 != 0
	case "prof", "rICC":
		c.ICC = r.b
	default:
		return Colour{}, nil // nclc (QuickTime) and others: as if absent
	}
	if r.err != nil {
		return Colour{}, r.err
	}
	return c, nil
}

// NALUnits returns the NAL units of a coded image: the parameter sets of
// its hvcC, then those of its data, each without length prefix. At most
// limit bytes of data are read; the units refer to the file's bytes where
// the data lies in one extent.
func (img *Image) NALUnits(limit int) ([][]byte, error) {
	if img.Type != "hvc1" {
		return nil, fmt.Errorf("heif: NALUnits of a %s item", img.Type)
	}
	data, err := img.file.itemData(img.extents, limit)
	if err != nil {
		return nil, err
	}
	nals := slices.Clone(img.Config.ParameterSets)
	ls := img.Config.LengthSize
	for len(data) > 0 {
		if len(data) < ls {
			return nil, formatErr("item %d ends in a partial NAL unit length", img.ID)
		}
		var n uint64
		for _, c := range data[:ls] {
			n = n<<8 | uint64(c)
		}
		data = data[ls:]
		if n < 2 || n > uint64(len(data)) {
			return nil, formatErr("item %d has a NAL unit of %d bytes where %d remain", img.ID, n, len(data))
		}
		nals = append(nals, data[:n])
		data = data[n:]
	}
	return nals, nil
}
