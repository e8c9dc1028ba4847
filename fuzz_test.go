package contactphoto

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/contactphoto/contactphoto/internal/eventarc"
	"github.com/contactphoto/contactphoto/internal/localstack"
)

// fromTheFuture reports whether data names a generation newer than the
// object's live one. The handler retries such an event, as the generation
// may not be visible yet; MAX_EVENT_AGE bounds those retries.
func fromTheFuture(data []byte) bool {
	obj, err := decodeObjectEvent(data)
	if err != nil {
		return false
	}
	attrs, err := stack.Storage.Attrs(obj.GetBucket(), obj.GetName())
	return err == nil && obj.GetGeneration() > attrs.Generation
}

// FuzzEvent sends arbitrary event types and data through the event handler,
// against healthy stand-ins. Whatever the event says, the handler must not
// panic, must not ask for a retry (with every service up, a retry could only
// repeat the same answer for a day) unless the event is about a generation
// the object does not have yet, must log at most one error, and must
// log exactly one for data that is not a storage object. An event can only
// reach an object whose contact is invalid, so the People API is never
// called.
func FuzzEvent(f *testing.F) {
	p, logs := newOwnPipeline(f, stack.Env())
	const name = "fuzz/event.jpg"
	gen, err := stack.Storage.Put(localstack.Bucket, name, "image/jpeg", testJPEG(f, 64, 48),
		map[string]string{"resourceName": "people/me"})
	if err != nil {
		f.Fatal(err)
	}
	obj := eventarc.Object{Bucket: localstack.Bucket, Name: name, Generation: gen, Size: 100, ContentType: "image/jpeg",
		Metadata: map[string]string{"resourceName": "people/me"}}
	valid, err := eventarc.EventData(obj)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(FinalizedEventType, valid)
	f.Add(MetadataUpdatedEventType, valid)
	f.Add("google.cloud.storage.object.v1.deleted", valid)
	f.Add("google.storage.object.finalize", valid)
	for _, data := range []string{
		``, `null`, `[]`, `{}`, `"x"`, `{"bucket":1}`,
		fmt.Sprintf(`{"bucket":%q,"name":%q,"generation":"%d","size":"100"}`, localstack.Bucket, name, gen),
		fmt.Sprintf(`{"bucket":%q,"name":%q,"generation":%d,"size":100}`, localstack.Bucket, name, gen),
		fmt.Sprintf(`{"bucket":%q,"name":%q,"generation":"%d","size":"1125899906842624"}`, localstack.Bucket, name, gen),
		fmt.Sprintf(`{"bucket":%q,"name":%q,"generation":"%d"}`, localstack.Bucket, name, gen+1),
		fmt.Sprintf(`{"bucket":%q,"name":%q,"generation":"-1"}`, localstack.Bucket, name),
		fmt.Sprintf(`{"bucket":%q,"name":%q,"generation":"9223372036854775808"}`, localstack.Bucket, name),
		fmt.Sprintf(`{"bucket":%q,"name":"fuzz/../event.jpg","generation":"1"}`, localstack.Bucket),
		fmt.Sprintf(`{"bucket":%q,"name":"fuzz/\u0000.jpg","generation":"1"}`, localstack.Bucket),
		`{"bucket":"other-bucket","name":"x.jpg","generation":"1"}`,
		`{"bucket":"../b","name":"x.jpg","generation":"1"}`,
		`{"bucket":"contact-photos","name":"x.jpg","generation":"1","metadata":{"resourceName":{"a":1}}}`,
		`{"bucket":"contact-photos","name":"x.jpg","generation":"1","timeCreated":"not a time"}`,
		`{"bucket":"contact-photos","name":"` + "\xff\xfe" + `","generation":"1"}`,
		`{"kind":"storage#object","bucket":"contact-photos","name":"` + string(make([]byte, 2000)) + `","generation":"1"}`,
	} {
		f.Add(FinalizedEventType, []byte(data))
		f.Add(MetadataUpdatedEventType, []byte(data))
	}
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		logs.reset()
		e := event.New()
		e.SetID("fuzz-event")
		e.SetSource("//storage.googleapis.com/projects/_/buckets/" + localstack.Bucket)
		e.SetType(typ)
		e.SetTime(time.Now())
		if err := e.SetData(event.ApplicationJSON, data); err != nil {
			t.Skip(err)
		}
		before := stack.People.Stats().Requests
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.HandleEvent(ctx, e); err != nil && !fromTheFuture(data) {
			t.Fatalf("event %q with data %q: asked for a retry: %v", typ, data, err)
		}
		logged := severe(logs.entries(""))
		if len(logged) > 1 {
			t.Fatalf("event %q with data %q: logged %d errors, want at most 1", typ, data, len(logged))
		}
		if _, err := decodeObjectEvent(data); (typ == FinalizedEventType || typ == MetadataUpdatedEventType) && err != nil && len(logged) != 1 {
			t.Fatalf("event data %q is not a storage object (%v) but logged %d errors, want 1", data, err, len(logged))
		}
		if n := stack.People.Stats().Requests - before; n != 0 {
			t.Fatalf("event %q with data %q: %d People API calls", typ, data, n)
		}
	})
}
