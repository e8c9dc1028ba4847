package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/contactphoto/contactphoto"
)

// Outcomes of one photo in a backfill.
const (
	outUpdated     = "updated"
	outSkipped     = "skipped"
	outFailed      = "failed"
	outWouldUpdate = "would update" // dry run
	outWouldFail   = "would fail"   // dry run
)

// result is what happened to one photo.
type result struct {
	Name    string `json:"name"`
	Outcome string `json:"outcome"`
	Contact string `json:"contact,omitempty"`
	Account string `json:"account,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Error   string `json:"error,omitempty"`
	// Note says what a dry run could not check.
	Note string `json:"note,omitempty"`
	// Final marks a failure recorded as the photo's outcome: the next run
	// skips it. Other failures are retried by the next run.
	Final bool `json:"final,omitempty"`

	halt bool // the failure will repeat for every photo: stop
}

// tally counts the outcomes of a run as they come in.
type tally struct {
	mu       sync.Mutex
	counts   counts
	started  time.Time // when processing began, for the rate
	failures map[string]*group
	skips    map[string]int
}

// counts is a snapshot of a tally.
type counts struct {
	Total       int `json:"total"`
	Done        int `json:"done"` // photos with an outcome
	Updated     int `json:"updated"`
	Skipped     int `json:"skipped"`
	Failed      int `json:"failed"`
	WouldUpdate int `json:"would_update,omitempty"`
	WouldFail   int `json:"would_fail,omitempty"`
	processed   int // outcomes that took work, for the rate
	elapsed     time.Duration
}

// group is the failures of one reason.
type group struct {
	Reason   string   `json:"reason"`
	Count    int      `json:"count"`
	Final    bool     `json:"final"`
	Examples []string `json:"examples"`
}

const maxExamples = 3

func newTally(total int) *tally {
	return &tally{counts: counts{Total: total}, started: time.Now(), failures: map[string]*group{}, skips: map[string]int{}}
}

// start restarts the clock once the work begins, so that listing and
// planning don't dilute the rate.
func (t *tally) start() {
	t.mu.Lock()
	t.started = time.Now()
	t.mu.Unlock()
}

func (t *tally) add(r result, worked bool) counts {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := &t.counts
	c.Done++
	if worked {
		c.processed++
	}
	switch r.Outcome {
	case outUpdated:
		c.Updated++
	case outSkipped:
		c.Skipped++
		t.skips[r.Reason]++
	case outWouldUpdate:
		c.WouldUpdate++
	case outFailed, outWouldFail:
		if r.Outcome == outFailed {
			c.Failed++
		} else {
			c.WouldFail++
		}
		key := fmt.Sprintf("%s/%t", r.Reason, r.Final)
		g := t.failures[key]
		if g == nil {
			g = &group{Reason: r.Reason, Final: r.Final}
			t.failures[key] = g
		}
		g.Count++
		if len(g.Examples) < maxExamples {
			g.Examples = append(g.Examples, r.Name)
		}
	}
	return t.snapshotLocked()
}

func (t *tally) snapshot() counts {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.snapshotLocked()
}

func (t *tally) snapshotLocked() counts {
	c := t.counts
	c.elapsed = time.Since(t.started)
	return c
}

// rate is photos per minute of work done (skips excluded).
func (c counts) rate() float64 {
	if c.elapsed <= 0 {
		return 0
	}
	return float64(c.processed) / c.elapsed.Minutes()
}

// eta guesses the time left from the rate so far.
func (c counts) eta() (time.Duration, bool) {
	r := c.rate()
	if r <= 0 || c.processed < 2 {
		return 0, false
	}
	return time.Duration(float64(c.Total-c.Done) / r * float64(time.Minute)), true
}

// groups returns the failure groups, largest first.
func (t *tally) groups() []group {
	t.mu.Lock()
	defer t.mu.Unlock()
	gs := make([]group, 0, len(t.failures))
	for _, g := range t.failures {
		gs = append(gs, *g)
	}
	slices.SortFunc(gs, func(a, b group) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Reason, b.Reason)
	})
	return gs
}

// reporter shows a backfill's progress.
type reporter interface {
	begin(target string, t *tally)
	item(r result, c counts)
	// note tells the user something on the side, such as that the run is
	// stopping.
	note(msg string)
	end(s *summary)
	// logWriter is where the log goes without garbling the display.
	logWriter() io.Writer
}

// newReporter draws a progress bar when stdout is a terminal that takes
// escape codes, prints plain lines on a dumb terminal (TERM=dumb), and
// prints one JSON line per photo otherwise or when forceJSON is set.
func newReporter(stdout, stderr io.Writer, forceJSON bool) reporter {
	if f, ok := stdout.(*os.File); ok && !forceJSON && term.IsTerminal(int(f.Fd())) {
		stderrTerm := false
		if e, ok := stderr.(*os.File); ok {
			stderrTerm = term.IsTerminal(int(e.Fd()))
		}
		return &barReporter{out: f, stderr: stderr, stderrTerm: stderrTerm, plain: !escapeCodes()}
	}
	return &lineReporter{out: stdout, stderr: stderr}
}

// escapeCodes reports whether the terminal takes escape codes: not when
// TERM is dumb or unset, as in an editor's shell buffer.
func escapeCodes() bool {
	t := os.Getenv("TERM")
	return t != "" && t != "dumb"
}

// lineReporter prints JSON Lines for programs and logs: a "start" line, an
// "item" line per photo with the counts so far, and a "summary" line. The
// human summary goes to stderr.
type lineReporter struct {
	mu     sync.Mutex
	out    io.Writer
	stderr io.Writer
}

type startLine struct {
	Type   string `json:"type"` // "start"
	Target string `json:"target"`
	Total  int    `json:"total"`
}

type itemLine struct {
	Type string `json:"type"` // "item"
	result
	counts
}

type summaryLine struct {
	Type string `json:"type"` // "summary"
	*summary
}

func (l *lineReporter) emit(v any) {
	b, err := json.Marshal(v)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		// Only strings and finite numbers go in; say so rather than break
		// the stream with half a line.
		fmt.Fprintf(l.stderr, "cannot write a progress line: %v\n", err)
		return
	}
	l.out.Write(append(b, '\n'))
}

func (l *lineReporter) begin(target string, t *tally) {
	l.emit(startLine{Type: "start", Target: target, Total: t.snapshot().Total})
}

func (l *lineReporter) item(r result, c counts) { l.emit(itemLine{Type: "item", result: r, counts: c}) }

func (l *lineReporter) note(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintln(l.stderr, msg)
}

func (l *lineReporter) end(s *summary) {
	l.emit(summaryLine{Type: "summary", summary: s})
	l.mu.Lock()
	defer l.mu.Unlock()
	s.print(l.stderr)
}

func (l *lineReporter) logWriter() io.Writer { return l.stderr }

// barReporter redraws one status line on the terminal; failures and notes
// scroll above it.
type barReporter struct {
	out        *os.File
	stderr     io.Writer
	stderrTerm bool
	plain      bool // no escape codes: no bar, only the lines above it

	mu     sync.Mutex
	counts counts
	tally  func() counts
	drawn  bool
	last   time.Time
	stop   chan struct{}
	wg     sync.WaitGroup
}

// redrawEvery refreshes the rate and ETA while photos wait for their turn.
const redrawEvery = 500 * time.Millisecond

func (b *barReporter) begin(target string, t *tally) {
	b.mu.Lock()
	b.tally = t.snapshot
	b.counts = t.snapshot()
	fmt.Fprintf(b.out, "%s: %d photos\n", target, b.counts.Total)
	b.draw()
	b.stop = make(chan struct{})
	b.mu.Unlock()
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		t := time.NewTicker(redrawEvery)
		defer t.Stop()
		for {
			select {
			case <-b.stop:
				return
			case <-t.C:
				b.mu.Lock()
				if b.tally != nil {
					b.counts = b.tally()
				}
				b.draw()
				b.mu.Unlock()
			}
		}
	}()
}

func (b *barReporter) item(r result, c counts) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.counts = c
	if r.Outcome == outFailed || r.Outcome == outWouldFail {
		b.clear()
		fmt.Fprintf(b.out, "%s %s: %s\n", r.Outcome, r.Name, r.Error)
	}
	if time.Since(b.last) >= 100*time.Millisecond || c.Done == c.Total || !b.drawn {
		b.draw()
	}
}

func (b *barReporter) note(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.clear()
	fmt.Fprintln(b.out, msg)
	b.draw()
}

func (b *barReporter) end(s *summary) {
	if b.stop != nil {
		close(b.stop)
		b.wg.Wait()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.counts = s.counts
	if !b.plain {
		b.draw()
		fmt.Fprintln(b.out)
	}
	b.drawn = false
	s.print(b.out)
}

// logWriter passes log lines above the bar when the log shares the
// terminal.
func (b *barReporter) logWriter() io.Writer {
	if !b.stderrTerm {
		return b.stderr
	}
	return writerFunc(func(p []byte) (int, error) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.clear()
		n, err := b.stderr.Write(p)
		b.draw()
		return n, err
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// clear erases the bar; b.mu must be held.
func (b *barReporter) clear() {
	if b.drawn && !b.plain {
		fmt.Fprint(b.out, "\r\033[K")
		b.drawn = false
	}
}

// draw writes the bar over the current line; b.mu must be held.
func (b *barReporter) draw() {
	if b.plain {
		return
	}
	width := 80
	if w, _, err := term.GetSize(int(b.out.Fd())); err == nil && w > 20 {
		width = w
	}
	fmt.Fprint(b.out, "\r\033[K"+barLine(b.counts, width))
	b.drawn = true
	b.last = time.Now()
}

// barLine renders the status line in width columns.
func barLine(c counts, width int) string {
	var s strings.Builder
	fmt.Fprintf(&s, " %d/%d", c.Done, c.Total)
	if c.WouldUpdate > 0 || c.WouldFail > 0 {
		fmt.Fprintf(&s, "  would update %d  would fail %d", c.WouldUpdate, c.WouldFail)
	} else {
		fmt.Fprintf(&s, "  updated %d", c.Updated)
	}
	fmt.Fprintf(&s, "  skipped %d  failed %d", c.Skipped, c.Failed)
	if r := c.rate(); r > 0 {
		fmt.Fprintf(&s, "  %.1f/min", r)
	}
	if eta, ok := c.eta(); ok && c.Done < c.Total {
		fmt.Fprintf(&s, "  ETA %s", eta.Round(time.Second))
	}
	text := s.String()
	barWidth := width - len(text) - 3
	if barWidth < 10 {
		if len(text) >= width {
			return text[:width-1]
		}
		return text
	}
	filled := barWidth
	if c.Total > 0 {
		filled = barWidth * c.Done / c.Total
	}
	bar := strings.Repeat("=", filled)
	if filled < barWidth {
		bar += ">" + strings.Repeat(" ", barWidth-filled-1)
	}
	return "[" + bar + "]" + text
}

// print writes the summary for people.
func (s *summary) print(w io.Writer) {
	took := time.Duration(s.Seconds * float64(time.Second)).Round(time.Millisecond)
	if s.DryRun {
		fmt.Fprintf(w, "Dry run of %s: %d photos: %d would be updated, %d skipped, %d would fail. Nothing was changed.\n",
			s.Target, s.Total, s.WouldUpdate, s.Skipped, s.WouldFail+s.Failed)
	} else {
		fmt.Fprintf(w, "Backfill of %s: %d photos: %d updated, %d skipped, %d failed", s.Target, s.Total, s.Updated, s.Skipped, s.Failed)
		if s.NotStarted > 0 {
			fmt.Fprintf(w, ", %d not started", s.NotStarted)
		}
		fmt.Fprintf(w, " in %s (%.1f photos/min).\n", took, s.PerMinute)
	}
	if len(s.Skips) > 0 {
		fmt.Fprintln(w, "Skipped:")
		for _, reason := range slices.Sorted(maps.Keys(s.Skips)) {
			fmt.Fprintf(w, "  %s: %d\n", reason, s.Skips[reason])
		}
	}
	if len(s.Failures) > 0 {
		fmt.Fprintln(w, "Failures by reason:")
		for _, g := range s.Failures {
			next := "retried by the next run"
			switch {
			case s.DryRun:
				next = "found without reading the photos"
			case g.Final:
				next = "recorded, skipped by the next run until the photo changes"
			}
			more := ""
			if g.Count > len(g.Examples) {
				more = ", …"
			}
			fmt.Fprintf(w, "  %s: %d, %s (%s%s)\n", g.Reason, g.Count, next, strings.Join(g.Examples, ", "), more)
			if o, ok := contactphoto.LookupOutcome(g.Reason); ok {
				fmt.Fprintf(w, "    what to do: %s\n", o.Fix)
			}
		}
	}
	for reason := range s.Skips {
		if strings.HasPrefix(reason, "failed before: ") {
			fmt.Fprintln(w, "Photos that failed before are tried again when their file, contact or metadata changes; --retry-failed tries them all again.")
			break
		}
	}
	if s.Stopped != "" && s.Stopped != "interrupted" {
		fmt.Fprintf(w, "Stopped early: %s\n", s.Stopped)
	}
}
