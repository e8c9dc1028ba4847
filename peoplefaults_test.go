package contactphoto

import (
	"context"
	"fmt"
	"testing"

	"github.com/contactphoto/contactphoto/internal/eventarc"
	"github.com/contactphoto/contactphoto/people/peopletest"
)

// TestPeopleRefusalsRecorded runs refusals of the People API through the
// event path and checks the status each object is left with: one log line
// at ERROR, acknowledged, and a reason that says what happened.
func TestPeopleRefusalsRecorded(t *testing.T) {
	htmlPage := peopletest.NewWrongEndpoint()
	t.Cleanup(htmlPage.Close)
	tests := []struct {
		name     string
		contact  string
		fault    *peopletest.Fault
		endpoint string
		want     string
	}{
		{name: "unknown 400 keeps the API's words", contact: "people/c8100000001",
			fault: &peopletest.Fault{Code: "OUT_OF_RANGE"}, want: "failed: rejected by the People API: Bad Request."},
		{name: "other contact", contact: "otherContacts/c8100000002", want: "failed: invalid contact"},
		{name: "profile", contact: "people/104857600000000000001", want: "failed: invalid contact"},
		{name: "wrong endpoint", contact: "people/c8100000003", endpoint: htmlPage.URL + "/", want: "failed: misconfigured"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, env := newOwnStack(t, peopletest.Options{WriteQuota: -1})
			fs.People.AddContact("", "people/c8100000001")
			fs.People.AddContact("", "people/c8100000003")
			if tt.fault != nil {
				fs.People.FailNext(1, *tt.fault)
			}
			if tt.endpoint != "" {
				env[EnvPeopleEndpoint] = tt.endpoint
			}
			p, logs := newOwnPipeline(t, env)
			const bucket = "refusals"
			stack.Storage.CreateBucket(bucket)
			name := fmt.Sprintf("refusal/%d.jpg", i)
			photo := testJPEG(t, 64, 64)
			gen, err := stack.Storage.Put(bucket, name, "image/jpeg", photo, map[string]string{"resourceName": tt.contact})
			if err != nil {
				t.Fatal(err)
			}
			ev, err := eventarc.FinalizedEvent(name, eventarc.Object{Bucket: bucket, Name: name, Generation: gen, Size: int64(len(photo))})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.HandleEvent(context.Background(), ev); err != nil {
				t.Fatalf("a permanent refusal asked for a retry: %v", err)
			}
			if got := metadataIn(t, bucket, name)[StatusKey]; got != tt.want {
				t.Errorf("status %q, want %q", got, tt.want)
			}
			if n := len(severe(logs.entries(name))); n != 1 {
				t.Errorf("%d ERROR lines, want 1", n)
			}
		})
	}
}
