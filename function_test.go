package contactphoto

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

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
	logFile   *os.File
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
	// Pacing is the People client's business, tested in package people; at
	// the production pace this suite would mostly wait. The stand-in's
	// per-minute quota still applies.
	os.Setenv(EnvWritesPerMinute, "600")
	if err := setupWebhook(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// The function logs to standard output, as Cloud Logging expects; the
	// tests read that log. Standard output is the log file only while the
	// function's pipeline is built, since the pipeline keeps the file it
	// was given: the testing package prints test results and fuzzing
	// progress to whatever standard output is when the tests start.
	logFile, err = os.CreateTemp("", "contactphoto-function-*.log")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.Remove(logFile.Name())
	// The pipeline takes standard output as its log when it is built, so
	// it is built here, with the log file standing in; the test binary's
	// own output stays on the real standard output.
	stdout := os.Stdout
	os.Stdout = logFile
	_, err = defaultPipeline()
	os.Stdout = stdout
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
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

// logEntry is one line of the function's Cloud Logging JSON.
type logEntry map[string]any

func (e logEntry) str(key string) string { s, _ := e[key].(string); return s }

// logFor returns the function's log lines about one object.
func logFor(t testing.TB, object string) []logEntry {
	t.Helper()
	data, err := os.ReadFile(logFile.Name())
	if err != nil {
		t.Fatal(err)
	}
	var entries []logEntry
	for _, line := range bytes.Split(data, []byte("\n")) {
		var e logEntry
		if json.Unmarshal(line, &e) == nil && e.str("object") == object {
			entries = append(entries, e)
		}
	}
	return entries
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

// hugePNGHeader is a valid PNG signature and IHDR claiming 20000x20000
// pixels, over the default pixel budget, with no pixel data behind it.
func hugePNGHeader(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()[:33] // signature and IHDR chunk
	binary.BigEndian.PutUint32(b[16:], 20000)
	binary.BigEndian.PutUint32(b[20:], 20000)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestPermanentFailuresAreAcknowledgedWithoutPeopleCall(t *testing.T) {
	photo := testJPEG(t, 800, 600)
	tests := []struct {
		name     string
		data     []byte
		metadata func(contact string) map[string]string
		size     int64 // overrides the event's size when set
	}{
		{"no contact metadata", photo, func(string) map[string]string { return map[string]string{"other": "x"} }, 0},
		{"path traversal in resourceName", photo, func(string) map[string]string { return map[string]string{"resourceName": "people/../x"} }, 0},
		{"query in resourceName", photo, func(string) map[string]string { return map[string]string{"resourceName": "people/c1?x=y"} }, 0},
		{"people/me", photo, func(string) map[string]string { return map[string]string{"resourceName": "people/me"} }, 0},
		{"empty resourceName", photo, func(string) map[string]string { return map[string]string{"resourceName": ""} }, 0},
		{"overlong resourceName", photo, func(string) map[string]string {
			return map[string]string{"resourceName": "people/c" + strings.Repeat("1", 10000)}
		}, 0},
		{"not an image", []byte("this is a text file named photo.jpg\n"), nil, 0},
		{"pixel budget", hugePNGHeader(t), nil, 0},
		{"over MAX_OBJECT_BYTES by the event's size", photo, nil, 50 << 20},
		{"unknown account", photo, func(c string) map[string]string { return map[string]string{"resourceName": c, "account": "mallory"} }, 0},
		{"revoked refresh token", photo, func(c string) map[string]string { return map[string]string{"resourceName": c, "account": "revoked"} }, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			contact := newContact("")
			md := map[string]string{"resourceName": contact}
			if tt.metadata != nil {
				md = tt.metadata(contact)
			}
			obj := upload(t, fmt.Sprintf("permanent/%d.jpg", i), tt.data, md)
			if tt.size != 0 {
				obj.Size = tt.size
			}
			before := stack.People.Stats().Requests
			if status := deliverBinary(t, obj); status/100 != 2 {
				t.Fatalf("function answered HTTP %d; a permanent failure must be acknowledged with 2xx", status)
			}
			if n := stack.People.Stats().Requests - before; n != 0 {
				t.Errorf("the People API received %d calls for a permanent failure, want 0", n)
			}
			var errorLines []logEntry
			for _, e := range logFor(t, obj.Name) {
				if e.str("severity") == "ERROR" {
					errorLines = append(errorLines, e)
				}
			}
			if len(errorLines) != 1 {
				t.Fatalf("logged %d ERROR lines for the failure, want exactly 1", len(errorLines))
			}
			if r := errorLines[0].str("reason"); r == "" || r == "failed" {
				t.Errorf("ERROR line has reason %q; want a specific one (message %q)", r, errorLines[0].str("message"))
			}
		})
	}
}

func TestPermanentPeopleAPIFailure(t *testing.T) {
	// A contact that does not exist is only known to the People API: it is
	// called once, answers 404, and the event is acknowledged.
	obj := upload(t, "permanent/unknown-contact.jpg", testJPEG(t, 300, 300), map[string]string{"resourceName": "people/c4040404040"})
	before := stack.People.Stats().Requests
	if status := deliverBinary(t, obj); status/100 != 2 {
		t.Fatalf("function answered HTTP %d for an unknown contact, want 2xx", status)
	}
	if n := stack.People.Stats().Requests - before; n != 1 {
		t.Errorf("People API calls = %d, want exactly 1 (no retry of a 404)", n)
	}
}

func TestTransientFailureIsRetried(t *testing.T) {
	// Account alice's secret has not been read yet by this instance.
	contact := newContact("alice")
	obj := upload(t, "transient/unavailable.jpg", testJPEG(t, 640, 480),
		map[string]string{"resourceName": contact, "account": "alice"})
	// Secret Manager is down for longer than the function's own retries:
	// the event must come back with an error so that Eventarc retries.
	stack.Secrets.FailNext(1000, codes.Unavailable)
	status := deliverBinary(t, obj)
	stack.Secrets.FailNext(0, codes.OK)
	if status/100 == 2 {
		t.Fatalf("function answered HTTP %d while Secret Manager was unavailable; want an error so Eventarc retries", status)
	}
	if len(updatesFor(contact)) != 0 {
		t.Fatal("a photo was sent although the token could not be read")
	}
	// The retry succeeds once the service is back.
	if status := deliverBinary(t, obj); status/100 != 2 {
		t.Fatalf("retry answered HTTP %d, want 2xx", status)
	}
	if n := len(updatesFor(contact)); n != 1 {
		t.Errorf("People API received %d photos after the retry, want 1", n)
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	// One success and one revoked token put every kind of secret through
	// the code paths that log.
	contact := newContact("")
	ok := upload(t, "secrets/ok.jpg", testJPEG(t, 500, 500), map[string]string{"resourceName": contact})
	revoked := upload(t, "secrets/revoked.jpg", testJPEG(t, 500, 500), map[string]string{"resourceName": contact, "account": "revoked"})
	for _, obj := range []eventarc.Object{ok, revoked} {
		if status := deliverBinary(t, obj); status/100 != 2 {
			t.Fatalf("%s: HTTP %d", obj.Name, status)
		}
	}
	log, err := os.ReadFile(logFile.Name())
	if err != nil {
		t.Fatal(err)
	}
	if len(logFor(t, ok.Name)) == 0 || len(logFor(t, revoked.Name)) == 0 {
		t.Fatal("the function logged nothing about the events; the check below would prove nothing")
	}
	forbidden := map[string]string{
		"client secret":  localstack.ClientSecret,
		"access token":   "ya29.",
		"JPEG as base64": "/9j/",
	}
	for account, rt := range stack.RefreshTokens {
		forbidden["refresh token of account "+account] = rt
	}
	for what, s := range forbidden {
		if bytes.Contains(log, []byte(s)) {
			t.Errorf("the function's log contains a %s", what)
		}
	}
}
