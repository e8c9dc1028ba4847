package contactphoto

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contactphoto/contactphoto/internal/eventarc"
	"github.com/contactphoto/contactphoto/internal/funcserver"
	"github.com/contactphoto/contactphoto/internal/localstack"
)

// The tests drive the registered functions over HTTP, through the functions
// framework, against the stand-ins of every Google service, with the real
// client libraries. The configuration comes from the environment, as in
// production; it is set once, before the first event.
var (
	stack     *localstack.Stack
	baseURL   string
	delivery  *eventarc.Client
	contactID atomic.Int64
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	stack, err = localstack.Start(&localstack.Options{Accounts: []string{"alice", "revoked"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stack.Close()
	// The "revoked" account's refresh token is no longer honoured.
	stack.OAuth.Revoke(stack.RefreshTokens["revoked"])
	for k, v := range stack.Env() {
		os.Setenv(k, v)
	}
	baseURL, err = funcserver.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	delivery, err = eventarc.NewClient(nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	contactID.Store(8100000000000000000)
	return m.Run()
}

// newContact adds a contact of account to the People stand-in and returns
// its resource name.
func newContact(account string) string {
	rn := fmt.Sprintf("people/c%d", contactID.Add(1))
	stack.People.AddContact(account, rn)
	return rn
}

// testJPEG returns a w x h JPEG with a recognisable gradient.
func testJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload stores an object and returns the event Cloud Storage would send.
func upload(t testing.TB, name string, data []byte, metadata map[string]string) eventarc.Object {
	t.Helper()
	gen, err := stack.Storage.Put(localstack.Bucket, name, "image/jpeg", data, metadata)
	if err != nil {
		t.Fatal(err)
	}
	return eventarc.Object{
		Bucket: localstack.Bucket, Name: name, Generation: gen, Size: int64(len(data)),
		ContentType: "image/jpeg", Metadata: metadata, Updated: time.Now(),
	}
}

func deliverBinary(t testing.TB, obj eventarc.Object) int {
	t.Helper()
	ev, err := eventarc.FinalizedEvent(fmt.Sprintf("evt-%s-%d", obj.Name, obj.Generation), obj)
	if err != nil {
		t.Fatal(err)
	}
	status, err := delivery.Deliver(context.Background(), baseURL+"/UpdateContactPhoto", ev)
	if err != nil {
		t.Fatal(err)
	}
	return status
}

// post sends a raw request to the event function and returns the status.
func post(t testing.TB, contentType string, header http.Header, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, baseURL+"/UpdateContactPhoto", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func deliverStructured(t testing.TB, obj eventarc.Object) int {
	t.Helper()
	data, err := eventarc.EventData(obj)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]any{
		"specversion":     "1.0",
		"id":              fmt.Sprintf("structured-%d", obj.Generation),
		"type":            eventarc.FinalizedType,
		"source":          "//storage.googleapis.com/projects/_/buckets/" + obj.Bucket,
		"subject":         "objects/" + obj.Name,
		"time":            time.Now().UTC().Format(time.RFC3339Nano),
		"datacontenttype": "application/json",
		"data":            json.RawMessage(data),
	})
	if err != nil {
		t.Fatal(err)
	}
	return post(t, "application/cloudevents+json", nil, body)
}

// deliverLegacy sends the gen1 background event shape, which the framework
// converts to a CloudEvent.
func deliverLegacy(t testing.TB, obj eventarc.Object) int {
	t.Helper()
	data, err := eventarc.EventData(obj)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(map[string]any{
		"context": map[string]any{
			"eventId":   fmt.Sprintf("legacy-%d", obj.Generation),
			"timestamp": time.Now().UTC().Format(time.RFC3339Nano),
			"eventType": "google.storage.object.finalize",
			"resource": map[string]any{
				"service": "storage.googleapis.com",
				"name":    "projects/_/buckets/" + obj.Bucket + "/objects/" + obj.Name,
				"type":    "storage#object",
			},
		},
		"data": json.RawMessage(data),
	})
	if err != nil {
		t.Fatal(err)
	}
	return post(t, "application/json", nil, body)
}

// updatesFor returns the photos the People stand-in accepted for a contact.
func updatesFor(resourceName string) [][]byte {
	var photos [][]byte
	for _, u := range stack.People.Updates() {
		if u.ResourceName == resourceName {
			photos = append(photos, u.Photo)
		}
	}
	return photos
}

func TestUpdateContactPhotoEventShapes(t *testing.T) {
	shapes := []struct {
		name    string
		deliver func(testing.TB, eventarc.Object) int
	}{
		{"binary CloudEvent", deliverBinary},
		{"structured CloudEvent", deliverStructured},
		{"legacy background event", deliverLegacy},
	}
	for _, shape := range shapes {
		t.Run(shape.name, func(t *testing.T) {
			contact := newContact("")
			obj := upload(t, "shapes/"+strings.ReplaceAll(shape.name, " ", "-")+".jpg", testJPEG(t, 1600, 1200),
				map[string]string{"resourceName": contact})
			if status := shape.deliver(t, obj); status/100 != 2 {
				t.Fatalf("function answered HTTP %d, want 2xx", status)
			}
			photos := updatesFor(contact)
			if len(photos) != 1 {
				t.Fatalf("People API received %d photos for %s, want 1", len(photos), contact)
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(photos[0]))
			if err != nil {
				t.Fatalf("photo sent does not decode: %v", err)
			}
			if format != "jpeg" || cfg.Width != 720 || cfg.Height != 720 {
				t.Errorf("photo sent is a %dx%d %s, want a 720x720 jpeg", cfg.Width, cfg.Height, format)
			}
		})
	}
}

var pngOnce = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	img := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	png.Encode(&buf, img)
	return buf.Bytes()
})
