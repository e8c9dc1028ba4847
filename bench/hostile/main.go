// Command hostile feeds a hostile set of inputs, every format at the edge
// of its memory budget, four at a time through the function's real
// handlers: each case starts `contactphoto serve` as a process of its own,
// with the GOMEMLIMIT a 256 MiB instance derives, against stand-ins of
// Cloud Storage, Secret Manager, OAuth and the People API running in this
// process, and delivers four finalized events or four webhook requests at
// once. It reports each case's outcomes and the serving process's peak
// resident memory (VmHWM from /proc), which must stay at most 200 MiB: the
// results section, on standard output, and the rows as they come, on
// standard error.
//
// Usage: go run ./bench/hostile -bin PATH [-only NAME]
//
// bench/hostile.sh builds the binary, runs it and writes the section into
// bench/RESULTS.md. Linux only (/proc).
package main

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/contactphoto/contactphoto"
	"github.com/contactphoto/contactphoto/internal/eventarc"
	"github.com/contactphoto/contactphoto/internal/localstack"
	"github.com/contactphoto/contactphoto/people/peopletest"
)

// goalMiB is the most the serving process may hold, under any four
// concurrent inputs, on a 256 MiB instance.
const goalMiB = 200

// concurrency is the deployment's max_instance_request_concurrency.
const concurrency = 4

// A hostileCase is one input, sent four times at once.
type hostileCase struct {
	name string
	what string // how it is made, for the table
	// event: the data is uploaded and announced by finalized events.
	// webhook: body is sent, signed unless forged.
	event       []byte
	contentType string
	webhook     func(contact string) (body []byte, contentType string)
	forged      bool
	chunked     bool
}

func main() {
	bin := flag.String("bin", "", "the contactphoto binary to serve with")
	gomemlimit := flag.String("gomemlimit", "166MiB", "GOMEMLIMIT of the serving process: what setMemoryLimit derives on a 256 MiB instance (0.65 of it)")
	only := flag.String("only", "", "run only the cases whose name contains this")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "usage: hostile -bin PATH [-only NAME]")
		os.Exit(2)
	}
	if err := run(*bin, *gomemlimit, *only); err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
}

const webhookSecretName = "projects/" + localstack.Project + "/secrets/contactphoto-webhook"

func run(bin, gomemlimit, only string) error {
	stack, err := localstack.Start(&localstack.Options{People: peopletest.Options{WriteQuota: -1}})
	if err != nil {
		return err
	}
	defer stack.Close()
	key := []byte("bench-webhook-key-0123456789abcdef")
	version, err := stack.Secrets.AddVersion(webhookSecretName, key)
	if err != nil {
		return err
	}
	env := os.Environ()
	for k, v := range stack.Env() {
		env = append(env, k+"="+v)
	}
	env = append(env, "WEBHOOK_SECRET="+version, "WEBHOOK_BUCKETS="+localstack.Bucket,
		"PEOPLE_WRITES_PER_MINUTE=6000", "GOMEMLIMIT="+gomemlimit, "GOGC=100")

	cases := hostileCases()
	var rows []string
	failed := 0
	for i, c := range cases {
		if only != "" && !strings.Contains(c.name, only) {
			continue
		}
		fmt.Fprintf(os.Stderr, "%d/%d %s\n", i+1, len(cases), c.name)
		row, ok, err := runCase(bin, env, key, stack, i, c)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		if !ok {
			failed++
		}
		rows = append(rows, row)
		fmt.Fprintln(os.Stderr, row)
	}
	table := "| case | input | outcomes of 4 at once | peak RSS MiB | within goal |\n|---|---|---|---:|---|\n" + strings.Join(rows, "\n")
	fmt.Println(section(table, gomemlimit))
	if failed > 0 {
		return fmt.Errorf("%d cases outside the goal", failed)
	}
	return nil
}

// runCase serves one case from a fresh process and returns its table row.
func runCase(bin string, env []string, key []byte, stack *localstack.Stack, i int, c hostileCase) (string, bool, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", false, err
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(env, "PORT="+port)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", false, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return "", false, err
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	ready := false
	for !ready && lines.Scan() {
		ready = strings.HasPrefix(lines.Text(), "Serving UpdateContactPhoto at ")
	}
	if !ready {
		return "", false, fmt.Errorf("serve did not start: %s", stderr.String())
	}
	go io.Copy(io.Discard, stdout)
	base := "http://127.0.0.1:" + port

	outcomes := make([]string, concurrency)
	var wg sync.WaitGroup
	for k := range concurrency {
		contact := fmt.Sprintf("people/c77%02d%02d00000000", i, k)
		stack.People.AddContact("", contact)
		wg.Go(func() {
			if c.event != nil {
				outcomes[k] = deliverEvent(base, stack, fmt.Sprintf("hostile/%02d-%d", i, k), c, contact)
			} else {
				outcomes[k] = sendWebhook(base, key, c, contact)
			}
		})
	}
	wg.Wait()
	hwm, err := vmHWM(cmd.Process.Pid)
	if err != nil {
		return "", false, err
	}
	crashed := ""
	if err := cmd.Process.Signal(syscall.SIGTERM); err == nil {
		if werr := cmd.Wait(); werr != nil {
			crashed = " (serve exited: " + werr.Error() + ")"
		}
	}
	counts := map[string]int{}
	for _, o := range outcomes {
		counts[o]++
	}
	var parts []string
	for o, n := range counts {
		parts = append(parts, fmt.Sprintf("%d× %s", n, o))
	}
	sort.Strings(parts)
	ok := hwm <= goalMiB && crashed == "" && !strings.Contains(strings.Join(parts, " "), "no answer")
	verdict := "yes"
	if !ok {
		verdict = "NO"
	}
	return fmt.Sprintf("| %s | %s | %s%s | %d | %s |", c.name, c.what, strings.Join(parts, ", "), crashed, hwm, verdict), ok, nil
}

// deliverEvent uploads the case's data and delivers its finalized event, as
// Eventarc does: again after a failure, up to five times, with a pause.
func deliverEvent(base string, stack *localstack.Stack, name string, c hostileCase, contact string) string {
	md := map[string]string{"resourceName": contact}
	gen, err := stack.Storage.Put(localstack.Bucket, name, c.contentType, c.event, md)
	if err != nil {
		return "upload failed: " + err.Error()
	}
	ev, err := eventarc.FinalizedEvent("bench-"+name, eventarc.Object{
		Bucket: localstack.Bucket, Name: name, Generation: gen, Size: int64(len(c.event)), ContentType: c.contentType, Metadata: md,
	})
	if err != nil {
		return err.Error()
	}
	client, err := eventarc.NewClient(&http.Client{Timeout: 5 * time.Minute})
	if err != nil {
		return err.Error()
	}
	retries := 0
	for {
		status, err := client.Deliver(context.Background(), base+"/"+contactphoto.EventFunctionName, ev)
		if err != nil {
			return "no answer: " + err.Error()
		}
		if status/100 == 2 {
			break
		}
		if retries++; retries > 5 {
			return fmt.Sprintf("HTTP %d after %d retries", status, retries-1)
		}
		time.Sleep(time.Second)
	}
	attrs, err := stack.Storage.Attrs(localstack.Bucket, name)
	if err != nil {
		return err.Error()
	}
	out := attrs.Metadata[contactphoto.StatusKey]
	if out == "" {
		out = "nothing recorded"
	}
	if retries > 0 {
		out += fmt.Sprintf(" (after %d retries)", retries)
	}
	return out
}

// sendWebhook sends the case's request; a 503 is sent again after its
// Retry-After, as a sender should, up to five times.
func sendWebhook(base string, key []byte, c hostileCase, contact string) string {
	body, ct := c.webhook(contact)
	retries := 0
	for {
		var r io.Reader = bytes.NewReader(body)
		if c.chunked {
			r = io.MultiReader(r) // hides the length: sent chunked
		}
		req, err := http.NewRequest(http.MethodPost, base+"/"+contactphoto.WebhookFunctionName, r)
		if err != nil {
			return err.Error()
		}
		req.Header.Set("Content-Type", ct)
		sig := contactphoto.Sign(key, time.Now(), body)
		if c.forged {
			sig = contactphoto.Sign([]byte("not-the-key-not-the-key-not-the-key"), time.Now(), body)
		}
		req.Header.Set(contactphoto.SignatureHeader, sig)
		resp, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
		if err != nil {
			return "no answer: " + err.Error()
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable && retries < 5 {
			retries++
			after, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			time.Sleep(time.Duration(min(max(after, 1), 10)) * time.Second)
			continue
		}
		var e struct {
			Error struct{ Reason string } `json:"error"`
		}
		json.Unmarshal(answer, &e)
		out := fmt.Sprintf("%d %s", resp.StatusCode, e.Error.Reason)
		if resp.StatusCode == http.StatusOK {
			out = "200 updated"
		}
		if retries > 0 {
			out += fmt.Sprintf(" (after %d retries)", retries)
		}
		return out
	}
}

// vmHWM reads a process's peak resident set size, in MiB.
func vmHWM(pid int) (int, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.Atoi(f[1])
			return (kb + 1023) / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// section is the part of bench/RESULTS.md this program writes, through
// bench/section.sh.
func section(table, gomemlimit string) string {
	load, _ := os.ReadFile("/proc/loadavg")
	return "## Memory under hostile inputs, four at a time (bench/hostile.sh)\n\n" +
		fmt.Sprintf("%s, %d CPUs, `contactphoto serve` with GOMEMLIMIT=%s (what a 256 MiB instance derives), "+
			"stand-ins on 127.0.0.1, each case in a fresh process, 4 copies at once; peak RSS is the process's VmHWM. "+
			"Events that fail transiently are redelivered, 503s sent again after Retry-After, up to 5 times. "+
			"Goal: at most %d MiB, every input sent or refused with a specific reason. Load average: %s.\n\n",
			time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtimeCPUs(), gomemlimit, goalMiB, strings.Join(strings.Fields(string(load))[:3], " ")) +
		table
}

func runtimeCPUs() int {
	data, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(data), "processor\t:")
}

// Inputs.

// photo is a w×h picture with gradients, edges and noise, like a photo
// to an encoder.
func photo(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			n := rng.IntN(24)
			i := m.PixOffset(x, y)
			m.Pix[i] = uint8(x*200/w + n)
			m.Pix[i+1] = uint8(y*200/h + n)
			m.Pix[i+2] = uint8((x/64+y/64)%2*120 + n)
			m.Pix[i+3] = 0xff
		}
	}
	return m
}

func encodeWith(f func(w io.Writer) error) []byte {
	var b bytes.Buffer
	if err := f(&b); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// flatPNG writes a w×h PNG of zero samples of the colour type and depth,
// interlaced or not: large in pixels, small in bytes.
func flatPNG(w, h int, colorType byte, depth int, interlaced bool, extra ...[]byte) []byte {
	chunk := pngChunk
	channels := map[byte]int{0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colorType]
	rowBytes := func(w int) int { return (channels*depth*w + 7) / 8 }
	var raw bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&raw, zlib.BestCompression)
	zero := make([]byte, 1+rowBytes(w))
	if interlaced {
		passes := [7][4]int{{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}
		for _, p := range passes {
			pw, ph := (w-p[0]+p[2]-1)/p[2], (h-p[1]+p[3]-1)/p[3]
			if pw > 0 {
				for range ph {
					zw.Write(zero[:1+rowBytes(pw)])
				}
			}
		}
	} else {
		for range h {
			zw.Write(zero)
		}
	}
	zw.Close()
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	il := byte(0)
	if interlaced {
		il = 1
	}
	ihdr = append(ihdr, byte(depth), colorType, 0, 0, il)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, chunk("IHDR", ihdr)...)
	for _, e := range extra {
		out = append(out, e...)
	}
	out = append(out, chunk("IDAT", raw.Bytes())...)
	return append(out, chunk("IEND", nil)...)
}

// pngChunk makes a chunk for flatPNG's extra.
func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, typ...)
	c = append(c, data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// iccpBomb is an iCCP chunk whose profile inflates to 64 MiB.
func iccpBomb() []byte {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(make([]byte, 64<<20))
	zw.Close()
	return pngChunk("iCCP", append([]byte("bomb\x00\x00"), z.Bytes()...))
}

// jpegWithICC inserts n APP2 ICC_PROFILE segments of 64 KiB into a JPEG.
func jpegWithICC(data []byte, n int) []byte {
	out := append([]byte(nil), data[:2]...)
	payload := make([]byte, 65535-2-14)
	for i := 1; i <= n; i++ {
		seg := []byte{0xff, 0xe2}
		seg = binary.BigEndian.AppendUint16(seg, uint16(2+14+len(payload)))
		seg = append(seg, "ICC_PROFILE\x00"...)
		seg = append(seg, byte(i), byte(n))
		out = append(append(out, seg...), payload...)
	}
	return append(out, data[2:]...)
}

// gifScreen is a GIF whose logical screen is w×h around a 1×1 frame.
func gifScreen(w, h int) []byte {
	frame := image.NewPaletted(image.Rect(0, 0, 1, 1), color.Palette{color.Black, color.White})
	return encodeWith(func(b io.Writer) error {
		return gif.EncodeAll(b, &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0},
			Config: image.Config{Width: w, Height: h, ColorModel: frame.Palette}})
	})
}

func jsonSet(photo []byte) func(string) ([]byte, string) {
	return func(contact string) ([]byte, string) {
		b, _ := json.Marshal(map[string]string{"resourceName": contact, "photoBytes": base64.StdEncoding.EncodeToString(photo)})
		return b, "application/json"
	}
}

func multipartSet(photo []byte) func(string) ([]byte, string) {
	return func(contact string) ([]byte, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("resourceName", contact)
		fw, _ := mw.CreateFormFile("photo", "photo.jpg")
		fw.Write(photo)
		mw.Close()
		return b.Bytes(), mw.FormDataContentType()
	}
}

func hostileCases() []hostileCase {
	fmt.Fprintln(os.Stderr, "making the inputs")
	jpeg12 := encodeWith(func(w io.Writer) error { return jpeg.Encode(w, photo(4000, 3000, 1), &jpeg.Options{Quality: 90}) })
	jpeg48 := encodeWith(func(w io.Writer) error { return jpeg.Encode(w, photo(8000, 6000, 2), &jpeg.Options{Quality: 85}) })
	small := encodeWith(func(w io.Writer) error { return jpeg.Encode(w, photo(1200, 900, 3), &jpeg.Options{Quality: 90}) })
	// A 24 MiB photo: a JPEG, then bytes after its end, which decoders
	// ignore; its base64 is a 32 MiB body.
	padded := append(append([]byte(nil), small...), make([]byte, 24<<20-len(small))...)
	png12 := encodeWith(func(w io.Writer) error { return png.Encode(w, photo(4000, 3000, 4)) })
	bmp12 := encodeWith(func(w io.Writer) error { return bmp.Encode(w, photo(3000, 2000, 5)) })
	tiffGray := encodeWith(func(w io.Writer) error {
		return tiff.Encode(w, image.NewGray(image.Rect(0, 0, 6320, 6320)), &tiff.Options{Compression: tiff.Deflate})
	})
	tiff16 := encodeWith(func(w io.Writer) error {
		return tiff.Encode(w, image.NewNRGBA64(image.Rect(0, 0, 3000, 2000)), &tiff.Options{Compression: tiff.Deflate})
	})
	tiffRGB := encodeWith(func(w io.Writer) error {
		return tiff.Encode(w, photo(1600, 1200, 6), &tiff.Options{Compression: tiff.Deflate})
	})
	exifBomb := flatPNG(64, 64, 6, 8, false, pngChunk("eXIf", make([]byte, 300<<10)))
	webp, _ := os.ReadFile(filepath.Join("imaging", "testdata", "quadrants-lossless.webp"))
	webhookLong := func(string) ([]byte, string) {
		return []byte(`{"bucket":"b","name":"n","generation":"` + strings.Repeat("9", 5<<20) + `"}`), "application/json"
	}
	cases := []hostileCase{
		{name: "jpeg-12mp", what: fmt.Sprintf("4000×3000 baseline JPEG, %s", size(jpeg12)), event: jpeg12, contentType: "image/jpeg"},
		{name: "jpeg-48mp", what: fmt.Sprintf("8000×6000 baseline JPEG, %s", size(jpeg48)), event: jpeg48, contentType: "image/jpeg"},
		{name: "jpeg-icc-16mib", what: "JPEG with a 16 MiB ICC profile in 255 APP2 segments", event: jpegWithICC(small, 255), contentType: "image/jpeg"},
		{name: "png-12mp", what: fmt.Sprintf("4000×3000 8-bit RGBA PNG, %s", size(png12)), event: png12, contentType: "image/png"},
		{name: "png-16bit-rgba-6320", what: "6320×6320 16-bit RGBA PNG (flat), streamed", event: flatPNG(6320, 6320, 6, 16, false), contentType: "image/png"},
		{name: "png-16bit-rgba-interlaced-1800", what: "1800×1350 16-bit RGBA interlaced PNG (flat), the largest 4:3 that fits", event: flatPNG(1800, 1350, 6, 16, true), contentType: "image/png"},
		{name: "png-16bit-rgba-interlaced-6320", what: "6320×6320 16-bit RGBA interlaced PNG (flat)", event: flatPNG(6320, 6320, 6, 16, true), contentType: "image/png"},
		{name: "png-gray-1bit-20000", what: "20000×12000 1-bit gray PNG (flat), streamed", event: flatPNG(20000, 12000, 0, 1, false), contentType: "image/png"},
		{name: "png-iccp-bomb", what: "PNG whose iCCP inflates to 64 MiB", event: flatPNG(800, 800, 6, 8, false, iccpBomb()), contentType: "image/png"},
		{name: "png-exif-300k", what: "PNG with a 300 KiB eXIf chunk", event: exifBomb, contentType: "image/png"},
		{name: "gif-screen-6320", what: fmt.Sprintf("GIF, 6320×6320 screen, 1×1 frame, %d bytes", len(gifScreen(6320, 6320))), event: gifScreen(6320, 6320), contentType: "image/gif"},
		{name: "tiff-gray-deflate-6320", what: fmt.Sprintf("6320×6320 8-bit gray TIFF, one deflate strip, %s", size(tiffGray)), event: tiffGray, contentType: "image/tiff"},
		{name: "tiff-rgba16-3000", what: fmt.Sprintf("3000×2000 16-bit RGBA TIFF, one deflate strip, %s", size(tiff16)), event: tiff16, contentType: "image/tiff"},
		{name: "tiff-rgb-1600", what: fmt.Sprintf("1600×1200 8-bit RGB TIFF, deflate, %s", size(tiffRGB)), event: tiffRGB, contentType: "image/tiff"},
		{name: "bmp-6mp", what: fmt.Sprintf("3000×2000 24-bit BMP, %s", size(bmp12)), event: bmp12, contentType: "image/bmp"},
		{name: "webp-lossless", what: "lossless WebP", event: webp, contentType: "image/webp"},
		{name: "webhook-forged-32mib", what: "32 MiB JSON body, forged signature", forged: true, webhook: jsonSet(padded)},
		{name: "webhook-json-32mib", what: "signed 32 MiB JSON body (24 MiB photo)", webhook: jsonSet(padded)},
		{name: "webhook-json-32mib-chunked", what: "the same, sent chunked", chunked: true, webhook: jsonSet(padded)},
		{name: "webhook-multipart-24mib", what: "signed multipart body, 24 MiB photo", webhook: multipartSet(padded)},
		{name: "webhook-long-generation", what: "signed JSON with a 5 MiB generation", webhook: webhookLong},
	}
	return cases
}

func size(b []byte) string {
	if len(b) >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(len(b))/(1<<20))
	}
	return fmt.Sprintf("%d KiB", (len(b)+1023)/1024)
}
