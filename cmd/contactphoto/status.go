package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/contactphoto/contactphoto"
)

const statusUsage = "[--json] gs://BUCKET[/PREFIX] | DIR"

// The states of a photo as status reports them.
const (
	stateUpdated = "updated"
	stateFailed  = "failed"
	statePending = "not yet handled"
)

// photoStatus is one photo's line of status.
type photoStatus struct {
	Type    string    `json:"type"` // "photo"
	Name    string    `json:"name"`
	State   string    `json:"state"`
	Reason  string    `json:"reason,omitempty"`
	Contact string    `json:"contact,omitempty"`
	Time    time.Time `json:"time,omitzero"`
	// Changed says that a failed photo's file, contact or metadata changed
	// since, so that the next run (or the function) tries it again.
	Changed bool   `json:"changed,omitempty"`
	Fix     string `json:"fix,omitempty"`
}

// statusSummary counts the states.
type statusSummary struct {
	Type    string         `json:"type"` // "summary"
	Target  string         `json:"target"`
	Total   int            `json:"total"`
	Updated int            `json:"updated"`
	Failed  int            `json:"failed"`
	Pending int            `json:"not_yet_handled"`
	Reasons map[string]int `json:"failed_by_reason,omitempty"`
}

// runStatus lists what happened to each photo of a bucket or a folder,
// from the status the function records on each object or from the folder's
// journal. It changes nothing and needs no contacts credentials.
func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("status", statusUsage, "contactphoto status gs://my-contact-photos/team/\n  contactphoto status --json ./photos | jq 'select(.state == \"failed\")'", stdout)
	jsonOut := fs.Bool("json", false, "print one JSON line per photo and a summary line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("want one gs://BUCKET[/PREFIX] or DIR, got %d arguments", fs.NArg())
	}
	cfg, err := contactphoto.LoadToolConfig(os.Getenv)
	if err != nil {
		return usagef("%v", err)
	}
	target := fs.Arg(0)
	var photos []photoStatus
	if strings.HasPrefix(target, "gs://") {
		bucket, prefix, err := parseGSURL(target)
		if err != nil {
			return usagef("%v", err)
		}
		src := &bucketSource{bucket: bucket, prefix: prefix, cfg: cfg}
		items, err := src.list(ctx)
		if err != nil {
			return err
		}
		for _, it := range items {
			rec := cfg.RecordedStatus(it.obj)
			photos = append(photos, statusOf(it.name, rec.Status, rec.Contact, rec.Time, rec.InputsChanged))
		}
	} else {
		if fi, err := os.Stat(target); err != nil || !fi.IsDir() {
			return usagef("%q is neither gs://BUCKET[/PREFIX] nor a folder", target)
		}
		state, err := openDirState(target, true)
		if err != nil {
			return err
		}
		src := &dirSource{dir: target, cfg: cfg, state: state}
		items, err := src.list(ctx)
		if err != nil {
			return err
		}
		for _, it := range items {
			f := it.file
			rec, ok := state.lookup(f.rel)
			if !ok {
				photos = append(photos, photoStatus{Name: it.name, State: statePending})
				continue
			}
			changed := rec.Size != f.size || !rec.ModTime.Equal(f.modTime)
			if changed && rec.Outcome == contactphoto.StatusUpdated {
				photos = append(photos, photoStatus{Name: it.name, State: statePending, Changed: true, Reason: "changed since it was set"})
				continue
			}
			photos = append(photos, statusOf(it.name, rec.Outcome, rec.Contact, rec.Time, changed))
		}
	}
	sum := statusSummary{Type: "summary", Target: target, Total: len(photos), Reasons: map[string]int{}}
	for _, p := range photos {
		switch p.State {
		case stateUpdated:
			sum.Updated++
		case stateFailed:
			sum.Failed++
			sum.Reasons[p.Reason]++
		default:
			sum.Pending++
		}
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		for _, p := range photos {
			p.Type = "photo"
			if err := enc.Encode(p); err != nil {
				return err
			}
		}
		return enc.Encode(sum)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tPHOTO\tCONTACT OR REASON\tWHEN")
	for _, p := range photos {
		detail := p.Contact
		if p.State != stateUpdated {
			detail = p.Reason
		}
		if p.Changed && p.State == stateFailed {
			detail += " (changed since: tried again)"
		}
		when := ""
		if !p.Time.IsZero() {
			when = p.Time.Local().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.State, p.Name, detail, when)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "\n%s: %d photos: %d updated, %d failed, %d not yet handled.\n", target, sum.Total, sum.Updated, sum.Failed, sum.Pending)
	for reason, n := range sum.Reasons {
		fix := "see the function's log"
		if o, ok := contactphoto.LookupOutcome(reason); ok {
			fix = o.Fix
		}
		fmt.Fprintf(stdout, "  failed, %s: %d. What to do: %s\n", reason, n, fix)
	}
	return nil
}

// statusOf reads a recorded outcome.
func statusOf(name, outcome, contact string, at time.Time, changed bool) photoStatus {
	p := photoStatus{Name: name, Contact: contact, Time: at}
	switch reason, failed := contactphoto.RecordedFailure(outcome); {
	case outcome == "":
		p.State = statePending
	case failed:
		p.State, p.Reason, p.Changed = stateFailed, reason, changed
		if o, ok := contactphoto.LookupOutcome(reason); ok {
			p.Fix = o.Fix
		}
	default:
		p.State = stateUpdated
	}
	return p
}
