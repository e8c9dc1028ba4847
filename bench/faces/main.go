// Command faces scores the face crop against the centre crop on a directory
// of photos whose heads were boxed by hand:
//
//	go run ./bench/faces -dir PHOTOS -ann heads.json [-v]
//
// The annotation file maps each file name to the heads a person would want
// inside the crop, the first being the main one, as fractions of the upright
// image:
//
//	{"group.jpg": {"heads": [{"box": [x0, y0, x1, y1], "required": true}, ...], "holdout": false}}
//
// Heads marked not required (passers-by, a face cut by the frame edge)
// only keep a detection on them from counting as a false face. A photo
// without heads is one without people: every detection on it is false.
// Photos marked holdout are reported apart, so that figures tuned on the
// rest can be checked on photos the tuning never saw. heads.json, next to
// this file, holds the heads of the development set the detector was
// calibrated on: 57 third-party photos that are not redistributed with the
// project, so the figures need that set.
//
// A head counts as inside when the crop's circle, the shape contacts apps
// show, holds the ellipse inscribed in its box, less 5% of its size for
// the hand-drawn box's slack. The time per photo is the CPU time of
// imaging.Process; BenchmarkDetectFacesDir in the imaging package measures
// detection alone.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/contactphoto/contactphoto/imaging"
)

type head struct {
	Box      [4]float64 `json:"box"`
	Required bool       `json:"required"`
}

type photo struct {
	Heads   []head `json:"heads"`
	Holdout bool   `json:"holdout"`
}

// score is what one crop of one photo achieved.
type score struct {
	people       bool // the photo has a head to keep
	group        bool // two or more required heads
	found        bool // a detection lies on the main head
	mainInside   bool
	allInside    bool // every required head
	bestInside   bool // as many required heads as the best square could hold
	heightOK     bool // the main head is 30–60% of the crop's height
	falseFaces   int  // detections on no annotated head
	cpu          time.Duration
	faces, heads int
	inside, best int
}

func main() {
	dir := flag.String("dir", "", "directory of photos")
	annPath := flag.String("ann", "", "annotation JSON file")
	verbose := flag.Bool("v", false, "print a line per photo")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	if *dir == "" || *annPath == "" {
		flag.Usage()
		os.Exit(2)
	}
	raw, err := os.ReadFile(*annPath)
	if err != nil {
		fail(err)
	}
	var ann map[string]photo
	if err := json.Unmarshal(raw, &ann); err != nil {
		fail(fmt.Errorf("%s: %w", *annPath, err))
	}
	names := make([]string, 0, len(ann))
	for n := range ann {
		names = append(names, n)
	}
	sort.Strings(names)
	crops := []imaging.Crop{imaging.CropFace, imaging.CropCenter}
	results := map[imaging.Crop]map[string]score{}
	for _, c := range crops {
		results[c] = map[string]score{}
	}
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(*dir, n))
		if err != nil {
			fail(err)
		}
		for _, c := range crops {
			start := cpuTime()
			res, err := imaging.Process(bytes.NewBuffer(data), &imaging.Options{Crop: c})
			cpu := cpuTime() - start
			if err != nil {
				fail(fmt.Errorf("%s: %w", n, err))
			}
			s := judge(ann[n], res)
			s.cpu = cpu
			results[c][n] = s
			if *verbose {
				fmt.Printf("%-48s %-6s %4.0fms main found %-5v inside %-5v heads %d/%d (best %d) height ok %-5v false %d faces %d crop %v %s\n",
					n, c, float64(s.cpu)/1e6, s.found, s.mainInside, s.inside, s.heads, s.best, s.heightOK, s.falseFaces, s.faces, res.Crop, res.CropReason)
				for _, f := range res.Faces {
					fmt.Printf("    face %v %s, angle %d\n", f.Box, f.Evidence(), f.Angle)
				}
			}
		}
	}
	for _, set := range []struct {
		name string
		in   func(photo) bool
	}{
		{"all", func(photo) bool { return true }},
		{"tuning", func(p photo) bool { return !p.Holdout }},
		{"held out", func(p photo) bool { return p.Holdout }},
	} {
		fmt.Printf("\n%s photos\n", set.name)
		fmt.Printf("| | face crop | centre crop |\n|---|---|---|\n")
		var rows [][3]string
		for i, c := range crops {
			var people, groups, nonePhotos, found, mainIn, allIn, bestIn, height, falseNone, falsePeople int
			var cpus []time.Duration
			for _, n := range names {
				if !set.in(ann[n]) {
					continue
				}
				s := results[c][n]
				cpus = append(cpus, s.cpu)
				if !s.people {
					nonePhotos++
					falseNone += s.falseFaces
					continue
				}
				people++
				falsePeople += s.falseFaces
				found += b2i(s.found)
				mainIn += b2i(s.mainInside)
				height += b2i(s.heightOK)
				if s.group {
					groups++
					allIn += b2i(s.allInside)
					bestIn += b2i(s.bestInside)
				}
			}
			slices.Sort(cpus)
			vals := []string{
				frac(found, people), frac(mainIn, people), frac(allIn, groups), frac(bestIn, groups), frac(height, people),
				fmt.Sprintf("%d on %d photos", falseNone, nonePhotos), fmt.Sprint(falsePeople),
				fmt.Sprintf("%.0f ms", float64(cpus[len(cpus)/2])/1e6),
			}
			if c == imaging.CropCenter {
				vals[0], vals[5], vals[6] = "–", "–", "–"
			}
			if i == 0 {
				rows = make([][3]string, len(vals))
			}
			for j, v := range vals {
				rows[j][i+1] = v
			}
		}
		labels := []string{"main face found", "main head inside", "groups: every head inside", "groups: as many heads as fit",
			"main head 30–60% of the crop", "false faces, photos without people", "faces on no annotated head, photos with people",
			"CPU per photo, median (whole Process)"}
		for j, l := range labels {
			fmt.Printf("| %s | %s | %s |\n", l, rows[j][1], rows[j][2])
		}
		// Photos where the face crop keeps less than the centre crop: the
		// main head it leaves out, or fewer required heads.
		var worse []string
		for _, n := range names {
			if !set.in(ann[n]) {
				continue
			}
			f, c := results[imaging.CropFace][n], results[imaging.CropCenter][n]
			if c.mainInside && !f.mainInside || c.inside > f.inside {
				worse = append(worse, n)
			}
		}
		fmt.Printf("| face crop worse than the centre crop | %d: %s | |\n", len(worse), strings.Join(worse, ", "))
	}
}

// judge scores res against the annotated heads p.
func judge(p photo, res *imaging.Result) score {
	uw, uh := res.SourceWidth, res.SourceHeight
	if res.Orientation >= 5 {
		uw, uh = uh, uw
	}
	bounds := image.Rect(0, 0, uw, uh)
	px := func(h head) image.Rectangle {
		return image.Rect(int(h.Box[0]*float64(uw)), int(h.Box[1]*float64(uh)), int(h.Box[2]*float64(uw)), int(h.Box[3]*float64(uh))).Intersect(bounds)
	}
	var s score
	s.faces = len(res.Faces)
	for _, f := range res.Faces {
		c := image.Pt((f.Box.Min.X+f.Box.Max.X)/2, (f.Box.Min.Y+f.Box.Max.Y)/2)
		if !slices.ContainsFunc(p.Heads, func(h head) bool { return c.In(px(h)) }) {
			s.falseFaces++
		}
	}
	if len(p.Heads) == 0 {
		return s
	}
	s.people = true
	main := px(p.Heads[0])
	for _, f := range res.Faces {
		c := image.Pt((f.Box.Min.X+f.Box.Max.X)/2, (f.Box.Min.Y+f.Box.Max.Y)/2)
		s.found = s.found || c.In(main)
	}
	s.mainInside = inCircle(main, res.Crop)
	h := float64(main.Dy()) / float64(res.Crop.Dy())
	s.heightOK = h >= 0.3 && h <= 0.6
	var required []image.Rectangle
	for _, h := range p.Heads {
		if h.Required {
			required = append(required, px(h))
		}
	}
	s.heads = len(required)
	s.group = len(required) >= 2
	for _, r := range required {
		s.inside += b2i(inCircle(r, res.Crop))
	}
	s.best = bestCount(required, uw, uh)
	s.allInside = s.inside == len(required)
	s.bestInside = s.inside >= s.best
	return s
}

// inCircle reports whether the circle inscribed in the square crop holds
// the ellipse inscribed in the head box, shrunk by 5% on each side.
func inCircle(head, crop image.Rectangle) bool {
	cx, cy := float64(crop.Min.X+crop.Max.X)/2, float64(crop.Min.Y+crop.Max.Y)/2
	r := float64(crop.Dx()) / 2
	hx, hy := float64(head.Min.X+head.Max.X)/2, float64(head.Min.Y+head.Max.Y)/2
	ax, ay := 0.45*float64(head.Dx()), 0.45*float64(head.Dy())
	for i := range 72 {
		t := float64(i) * math.Pi / 36
		x, y := hx+ax*math.Cos(t), hy+ay*math.Sin(t)
		if math.Hypot(x-cx, y-cy) > r {
			return false
		}
	}
	return true
}

// bestCount is the most of the heads any square crop of a w×h image holds
// in its circle, trying the largest squares and the square around each
// subset's span.
func bestCount(heads []image.Rectangle, w, h int) int {
	short := min(w, h)
	best := 0
	for side := short; side >= short/4; side = side * 9 / 10 {
		step := max(1, side/50)
		for y := 0; y+side <= h; y += step {
			for x := 0; x+side <= w; x += step {
				crop := image.Rect(x, y, x+side, y+side)
				n := 0
				for _, hd := range heads {
					n += b2i(inCircle(hd, crop))
				}
				best = max(best, n)
			}
		}
		if best == len(heads) {
			break
		}
	}
	return best
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fail(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func frac(n, of int) string {
	if of == 0 {
		return "–"
	}
	return fmt.Sprintf("%d/%d (%.0f%%)", n, of, 100*float64(n)/float64(of))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
