package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"strings"
	"testing"

	"github.com/contactphoto/contactphoto"
	"github.com/contactphoto/contactphoto/internal/localstack"
	"github.com/contactphoto/contactphoto/people/peopletest"
)

// startStack starts the stand-ins and points the environment at them for
// this test only. Unless opt says otherwise, the People stand-in has no
// write quota and the tools write as fast as the configuration allows, so
// that tests don't wait for the real pace.
func startStack(t testing.TB, opt *localstack.Options) *localstack.Stack {
	t.Helper()
	if opt == nil {
		opt = &localstack.Options{People: peopletest.Options{WriteQuota: -1}}
	}
	stack, err := localstack.Start(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stack.Close)
	clearEnv(t)
	for k, v := range stack.Env() {
		t.Setenv(k, v)
	}
	t.Setenv(contactphoto.EnvWritesPerMinute, "6000")
	t.Setenv(contactphoto.EnvPhotoSize, "32")
	t.Setenv("DISPLAY", "") // --open must not start a viewer
	t.Setenv("WAYLAND_DISPLAY", "")
	return stack
}

// clearEnv unsets, for this test, every variable the tools read.
func clearEnv(t testing.TB) {
	for _, vars := range [][]string{contactphoto.ConfigVariables, contactphoto.EmulatorVariables} {
		for _, k := range vars {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}

// testPhoto is a small JPEG whose colour depends on i, so that every
// photo differs.
func testPhoto(t testing.TB, i int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, 48, 40))
	c := color.RGBA{uint8(i * 37), uint8(i * 11), uint8(255 - i*5), 255}
	for y := range 40 {
		for x := range 48 {
			m.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// runCLI runs the command line and returns its exit code and output.
func runCLI(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

// line is any line of backfill's output off a terminal.
type line struct {
	Type string `json:"type"`
	// start
	Target string `json:"target"`
	// item
	Name    string `json:"name"`
	Outcome string `json:"outcome"`
	Contact string `json:"contact"`
	Account string `json:"account"`
	Reason  string `json:"reason"`
	Error   string `json:"error"`
	Note    string `json:"note"`
	Final   bool   `json:"final"`
	// item and summary
	Total       int `json:"total"`
	Done        int `json:"done"`
	Updated     int `json:"updated"`
	Skipped     int `json:"skipped"`
	Failed      int `json:"failed"`
	WouldUpdate int `json:"would_update"`
	WouldFail   int `json:"would_fail"`
	// summary
	DryRun     bool           `json:"dry_run"`
	NotStarted int            `json:"not_started"`
	Stopped    string         `json:"stopped"`
	Seconds    float64        `json:"seconds"`
	PerMinute  float64        `json:"photos_per_minute"`
	Skips      map[string]int `json:"skipped_by_reason"`
	Same       []struct {
		Contact string   `json:"contact"`
		Account string   `json:"account"`
		Names   []string `json:"names"`
	} `json:"same_contact"`
	Failures []struct {
		Reason   string   `json:"reason"`
		Count    int      `json:"count"`
		Final    bool     `json:"final"`
		Examples []string `json:"examples"`
	} `json:"failures"`
}

// parseLines checks that every line of out is one well-formed JSON object
// of a known type, that the first starts the run and the last sums it up,
// and that the item counts add up line by line.
func parseLines(t *testing.T, out string) (start line, items []line, summary line) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	var all []line
	for n := 1; sc.Scan(); n++ {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var l line
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("output line %d is not a well-formed record: %v\n%s", n, err, sc.Text())
		}
		all = append(all, l)
	}
	if len(all) < 2 || all[0].Type != "start" || all[len(all)-1].Type != "summary" {
		t.Fatalf("output does not run from a start line to a summary line:\n%s", out)
	}
	start, summary = all[0], all[len(all)-1]
	for i, l := range all[1 : len(all)-1] {
		if l.Type != "item" || l.Name == "" || l.Outcome == "" {
			t.Fatalf("line %d is not an item: %+v", i+2, l)
		}
		if l.Done != i+1 || l.Total != start.Total || l.Updated+l.Skipped+l.Failed+l.WouldUpdate+l.WouldFail != l.Done {
			t.Fatalf("line %d counts don't add up: %+v", i+2, l)
		}
		items = append(items, l)
	}
	if summary.Done != len(items) || summary.Done+summary.NotStarted > start.Total {
		t.Fatalf("summary %+v does not match %d items of %d", summary, len(items), start.Total)
	}
	return start, items, summary
}

// countOutcomes counts items by outcome.
func countOutcomes(items []line) map[string]int {
	m := map[string]int{}
	for _, l := range items {
		m[l.Outcome]++
	}
	return m
}

// updatesPerContact counts what the People stand-in received per contact.
func updatesPerContact(s *peopletest.Server) map[string]int {
	m := map[string]int{}
	for _, u := range s.Updates() {
		m[fmt.Sprintf("%s/%s", u.Account, u.ResourceName)]++
	}
	return m
}
