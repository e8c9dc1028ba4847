package contactphoto

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/troubleshooting.md from the table of outcomes")

const troubleshootingPage = "docs/troubleshooting.md"

// TestTroubleshootingPage checks that the troubleshooting page is the table
// of outcomes, so that every reason the function records is explained and
// no explanation outlives its reason. go test -run TroubleshootingPage
// -update rewrites it.
func TestTroubleshootingPage(t *testing.T) {
	page := renderTroubleshooting()
	if *update {
		if err := os.WriteFile(troubleshootingPage, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(troubleshootingPage)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != page {
		t.Errorf("%s is not the table of outcomes; run go test -run TroubleshootingPage -update . and commit it", troubleshootingPage)
	}
}

func renderTroubleshooting() string {
	var b strings.Builder
	b.WriteString(`# Troubleshooting

<!-- Generated from outcomes.go by: go test -run TroubleshootingPage -update . Do not edit. -->

When a photo is not set, the function records why on the object, in the
` + "`" + StatusKey + "`" + ` metadata, as ` + "`failed: REASON`" + `; the log has the same reason in its
` + "`reason`" + ` field, and the webhook answers with the code below. To see the outcome
of every photo of a bucket or a folder:

` + "```sh" + `
contactphoto status gs://BUCKET/PREFIX     # or a folder: contactphoto status ./photos
` + "```" + `

A failure is mended by whoever the table names:

- **sender**: whoever uploaded the photo. Fix the photo or its metadata; the
  function runs a failed object again by itself when its contact or account
  metadata changes. Uploading the photo again also runs it.
- **operator**: whoever runs the deployment. After the fix, run the failed
  objects again with ` + "`contactphoto backfill --retry-failed gs://BUCKET`" + `, or one
  object with the webhook's re-run.
- **nobody**: the failure passes; the event is delivered again until it
  succeeds or is older than MAX_EVENT_AGE. Nothing is recorded.

`)
	for _, actor := range []Actor{Sender, Operator, Nobody} {
		fmt.Fprintf(&b, "## Mended by the %s\n\n", actor)
		if actor == Nobody {
			b.WriteString("These are retried, never recorded; the log shows them at WARNING or in the retried event's error.\n\n")
		}
		for _, o := range outcomes {
			if o.Actor != actor {
				continue
			}
			fmt.Fprintf(&b, "### %s\n\n", o.Reason)
			fmt.Fprintf(&b, "%s\n\n", o.Cause)
			fmt.Fprintf(&b, "**What to do:** %s\n\n", o.Fix)
			retry := "no: recorded, and acknowledged"
			if o.Retry {
				retry = "yes: the event is delivered again"
			}
			fmt.Fprintf(&b, "Retried: %s. Webhook: HTTP %d `%s`.\n\n", retry, o.HTTPStatus, o.Code)
		}
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}
