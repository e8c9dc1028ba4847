package contactphoto

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	"github.com/contactphoto/contactphoto/internal/localstack"
	"github.com/contactphoto/contactphoto/people/peopletest"
	"github.com/contactphoto/contactphoto/tokens"
)

// webhookKey is the HMAC key the tests store in Secret Manager, as an
// operator would: random bytes, used as they are.
var webhookKey = []byte("3f9c1b7e52d04a8e9b6f0c2d7a1e4b58c6d9e0f1a2b3c4d5")

// setupWebhook stores the webhook key and configures the webhook; TestMain
// calls it before the function's configuration is first read.
func setupWebhook() error {
	version, err := stack.Secrets.AddVersion("projects/"+localstack.Project+"/secrets/contactphoto-webhook", webhookKey)
	if err != nil {
		return err
	}
	os.Setenv(EnvWebhookSecret, version)
	os.Setenv(EnvWebhookBuckets, localstack.Bucket)
	return nil
}

func webhookURL() string { return baseURL + "/" + WebhookFunctionName }

// webhookAnswer is what the webhook answered.
type webhookAnswer struct {
	status int
	header http.Header
	body   []byte
}

// errorBody is the JSON body of a refusal.
type errorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Reason  string `json:"reason"`
		Message string `json:"message"`
	} `json:"error"`
}

func (a webhookAnswer) error(t testing.TB) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("HTTP %d answer is not a JSON error: %v: %s", a.status, err, a.body)
	}
	if e.Error.Code != a.status || e.Error.Reason == "" || e.Error.Message == "" {
		t.Errorf("HTTP %d answer has an incomplete error: %s", a.status, a.body)
	}
	return e
}

func (a webhookAnswer) response(t testing.TB) webhookResponse {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("HTTP %d, want 200: %s", a.status, a.body)
	}
	var r webhookResponse
	if err := json.Unmarshal(a.body, &r); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, a.body)
	}
	return r
}

// send sends a request to the webhook. A signature header is added, signed
// with webhookKey now, unless header already has one.
func send(t testing.TB, method, contentType string, body []byte, header http.Header) webhookAnswer {
	t.Helper()
	req, err := http.NewRequest(method, webhookURL(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if _, ok := header[SignatureHeader]; !ok {
		req.Header.Set(SignatureHeader, Sign(webhookKey, time.Now(), body))
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return webhookAnswer{status: resp.StatusCode, header: resp.Header, body: data}
}

func sendJSON(t testing.TB, v any) webhookAnswer {
	t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return send(t, http.MethodPost, "application/json", body, nil)
}

// form builds a multipart/form-data body; a nil photo leaves that field out.
func form(t testing.TB, fields map[string]string, photo []byte) (body []byte, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if photo != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="photo"; filename="photo.jpg"`)
		h.Set("Content-Type", "image/jpeg")
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(photo)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// wantPhoto checks that the People stand-in holds a 720x720 JPEG for the
// contact.
func wantPhoto(t testing.TB, account, resourceName string) {
	t.Helper()
	u, ok := stack.People.Photo(account, resourceName)
	if !ok {
		t.Fatalf("contact %s of account %q has no photo", resourceName, account)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(u.Photo))
	if err != nil || format != "jpeg" || cfg.Width != 720 || cfg.Height != 720 {
		t.Fatalf("contact %s has a %dx%d %s photo (%v), want a 720x720 jpeg", resourceName, cfg.Width, cfg.Height, format, err)
	}
}

func TestWebhookSetsPhoto(t *testing.T) {
	photo := testJPEG(t, 1200, 900)
	b64 := base64.StdEncoding.EncodeToString(photo)
	tests := []struct {
		name    string
		account string
		email   string
		request func(t *testing.T, contact string) webhookAnswer
	}{
		{"JSON, people/c resource name", "", "", func(t *testing.T, c string) webhookAnswer {
			return sendJSON(t, map[string]string{"resourceName": c, "photoBytes": b64})
		}},
		{"JSON, bare contact id", "", "", func(t *testing.T, c string) webhookAnswer {
			return sendJSON(t, map[string]string{"resourceName": strings.TrimPrefix(c, "people/"), "photoBytes": b64})
		}},
		{"JSON, email address", "", "webhook-json@example.com", func(t *testing.T, c string) webhookAnswer {
			return sendJSON(t, map[string]string{"resourceName": "webhook-json@example.com", "photoBytes": b64})
		}},
		{"JSON, URL-safe unpadded base64, other account", "alice", "", func(t *testing.T, c string) webhookAnswer {
			return sendJSON(t, map[string]string{"resourceName": c, "photoBytes": base64.RawURLEncoding.EncodeToString(photo), "account": "alice"})
		}},
		{"multipart", "", "", func(t *testing.T, c string) webhookAnswer {
			body, ct := form(t, map[string]string{"resourceName": c}, photo)
			return send(t, http.MethodPost, ct, body, nil)
		}},
		{"multipart, email address, other account", "alice", "webhook-form@example.com", func(t *testing.T, c string) webhookAnswer {
			body, ct := form(t, map[string]string{"resourceName": "webhook-form@example.com", "account": "alice"}, photo)
			return send(t, http.MethodPost, ct, body, nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			contact := fmt.Sprintf("people/c%d", contactID.Add(1))
			if tt.email != "" {
				stack.People.AddContact(tt.account, contact, tt.email)
			} else {
				stack.People.AddContact(tt.account, contact)
			}
			got := tt.request(t, contact).response(t)
			want := webhookResponse{ResourceName: contact, Status: "updated", Photo: &photoSummary{Width: 720, Height: 720, Bytes: got.Photo.Bytes}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			wantPhoto(t, tt.account, contact)
			if u, _ := stack.People.Photo(tt.account, contact); len(u.Photo) != got.Photo.Bytes {
				t.Errorf("response says %d bytes; the API received %d", got.Photo.Bytes, len(u.Photo))
			}
		})
	}
}

func TestWebhookDeletesPhoto(t *testing.T) {
	for _, byEmail := range []bool{false, true} {
		t.Run(fmt.Sprintf("by email %v", byEmail), func(t *testing.T) {
			contact := newContact("")
			ref := contact
			if byEmail {
				ref = fmt.Sprintf("delete-%d@example.com", contactID.Load())
				stack.People.AddContact("", contact, ref)
			}
			b64 := base64.StdEncoding.EncodeToString(testJPEG(t, 1000, 1000))
			sendJSON(t, map[string]string{"resourceName": contact, "photoBytes": b64}).response(t)
			wantPhoto(t, "", contact)

			got := sendJSON(t, map[string]string{"resourceName": ref, "action": "delete"}).response(t)
			if diff := cmp.Diff(webhookResponse{ResourceName: contact, Status: "deleted"}, got); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			if _, ok := stack.People.Photo("", contact); ok {
				t.Error("the contact still has a photo after the delete")
			}
		})
	}
}

func TestWebhookRerunsObject(t *testing.T) {
	contact := newContact("")
	obj := upload(t, "webhook/rerun.jpg", testJPEG(t, 900, 900), map[string]string{"resourceName": contact})
	tests := []struct {
		name string
		body map[string]any
	}{
		{"live generation", map[string]any{"bucket": obj.Bucket, "name": obj.Name}},
		{"generation as a string, as Cloud Storage writes it", map[string]any{"bucket": obj.Bucket, "name": obj.Name, "generation": fmt.Sprint(obj.Generation)}},
		// The same generation again: a re-run is on purpose, so it is
		// never skipped as a duplicate.
		{"generation as a number", map[string]any{"bucket": obj.Bucket, "name": obj.Name, "generation": obj.Generation}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sendJSON(t, tt.body).response(t)
			if got.ResourceName != contact || got.Status != "updated" || got.Photo == nil || got.Photo.Width != 720 {
				t.Errorf("response %+v, want contact %s updated with a 720px photo", got, contact)
			}
			if n := len(updatesFor(contact)); n != i+1 {
				t.Errorf("the People API received %d photos for the contact after %d re-runs", n, i+1)
			}
			attrs, err := stack.Storage.Attrs(obj.Bucket, obj.Name)
			if err != nil {
				t.Fatal(err)
			}
			if attrs.Metadata[StatusKey] != "updated" || attrs.Metadata[StatusContactKey] != contact {
				t.Errorf("object metadata after the re-run: %v; want the outcome recorded", attrs.Metadata)
			}
		})
	}
}

// authProbe is a request that passes the signature check and is then
// refused without any call to Google: an answer other than 401 shows that
// the signature was accepted.
func authProbe(t testing.TB) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]string{"bucket": "not-a-webhook-bucket", "name": fmt.Sprintf("probe-%d.jpg", contactID.Add(1))})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// deleteBody is a request that deletes contact's photo.
func deleteBody(t testing.TB, contact string) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]string{"resourceName": contact, "action": "delete"})
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestWebhookSignature(t *testing.T) {
	otherKey := []byte("an-old-key-the-sender-still-holds-0000")
	now := time.Now()
	// A request whose signature is accepted goes on to be refused for its
	// bucket.
	const accepted = http.StatusForbidden
	tests := []struct {
		name   string
		header func(body []byte) []string // nil: no header at all
		tamper bool                       // send a body other than the one signed
		want   int
	}{
		{"valid", func(b []byte) []string { return []string{Sign(webhookKey, now, b)} }, false, accepted},
		{"rotation: old key first, then the current one", func(b []byte) []string {
			return []string{Sign(otherKey, now, b) + "," + v1(webhookKey, now, b)}
		}, false, accepted},
		{"rotation: current key first, then a new one", func(b []byte) []string {
			return []string{Sign(webhookKey, now, b) + "," + v1(otherKey, now, b)}
		}, false, accepted},
		{"almost 5 minutes old", func(b []byte) []string {
			return []string{Sign(webhookKey, now.Add(-SignatureTolerance+20*time.Second), b)}
		}, false, accepted},
		{"almost 5 minutes ahead", func(b []byte) []string {
			return []string{Sign(webhookKey, now.Add(SignatureTolerance-20*time.Second), b)}
		}, false, accepted},
		{"missing header", nil, false, 401},
		{"empty header", func([]byte) []string { return []string{""} }, false, 401},
		{"wrong key", func(b []byte) []string { return []string{Sign(otherKey, now, b)} }, false, 401},
		{"two wrong keys", func(b []byte) []string {
			return []string{Sign(otherKey, now, b) + "," + v1([]byte("yet-another-key-nobody-deployed-0000"), now, b)}
		}, false, 401},
		{"tampered body", func(b []byte) []string { return []string{Sign(webhookKey, now, b)} }, true, 401},
		{"6 minutes old", func(b []byte) []string { return []string{Sign(webhookKey, now.Add(-6*time.Minute), b)} }, false, 401},
		{"6 minutes in the future", func(b []byte) []string { return []string{Sign(webhookKey, now.Add(6*time.Minute), b)} }, false, 401},
		{"a day old", func(b []byte) []string { return []string{Sign(webhookKey, now.Add(-24*time.Hour), b)} }, false, 401},
		{"timestamp changed after signing", func(b []byte) []string {
			return []string{strings.Replace(Sign(webhookKey, now, b), fmt.Sprint("t=", now.Unix()), fmt.Sprint("t=", now.Unix()+1), 1)}
		}, false, 401},
		{"signature without timestamp", func(b []byte) []string { return []string{"v1=" + v1(webhookKey, now, b)[3:]} }, false, 401},
		{"two headers, one valid", func(b []byte) []string { return []string{Sign(otherKey, now, b), Sign(webhookKey, now, b)} }, false, 401},
	}
	var refusals [][]byte
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := authProbe(t)
			h := http.Header{}
			if tt.header != nil {
				h[SignatureHeader] = tt.header(body)
			} else {
				h[SignatureHeader] = nil
			}
			if tt.tamper {
				body = authProbe(t)
			}
			a := send(t, http.MethodPost, "application/json", body, h)
			if a.status != tt.want {
				t.Fatalf("HTTP %d, want %d: %s", a.status, tt.want, a.body)
			}
			if e := a.error(t); tt.want == http.StatusUnauthorized {
				refusals = append(refusals, a.body)
			} else if e.Error.Reason != "bucket_not_allowed" {
				t.Errorf("accepted request refused for %q, want bucket_not_allowed", e.Error.Reason)
			}
		})
	}
	// Every refusal is the same: nothing tells which part of the
	// signature failed.
	for _, r := range refusals[1:] {
		if !bytes.Equal(r, refusals[0]) {
			t.Errorf("refusals differ, which tells an attacker what failed:\n%s\n%s", refusals[0], r)
		}
	}
}

// v1 returns the ",v1=<hex>" part of a signature with key: a second entry
// for a header, as a sender sends while rotating keys.
func v1(key []byte, t time.Time, body []byte) string {
	_, sig, _ := strings.Cut(Sign(key, t, body), ",")
	return sig
}

func TestWebhookReplayOutsideWindow(t *testing.T) {
	// A request signed a little under SignatureTolerance ago is accepted;
	// the very same request, replayed once the window has passed, is not.
	body := authProbe(t)
	signedAt := time.Now().Add(-SignatureTolerance + 2*time.Second)
	h := http.Header{SignatureHeader: {Sign(webhookKey, signedAt, body)}}
	if a := send(t, http.MethodPost, "application/json", body, h); a.status != http.StatusForbidden {
		t.Fatalf("first delivery: HTTP %d: %s", a.status, a.body)
	}
	// Sign keeps whole seconds; a second more covers the rounding.
	time.Sleep(time.Until(signedAt.Add(SignatureTolerance + time.Second)))
	if a := send(t, http.MethodPost, "application/json", body, h); a.status != 401 {
		t.Fatalf("replay after the window: HTTP %d, want 401: %s", a.status, a.body)
	}
}

func TestWebhookRefusesJunk(t *testing.T) {
	// Random requests from someone without the key: whatever they hold,
	// nothing reaches the People API, and they cannot make the function
	// read the key from Secret Manager more than once a minute.
	rng := rand.New(rand.NewPCG(7, 7))
	junk := func(n int) []byte {
		b := make([]byte, rng.IntN(n))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	// printable maps bytes onto the characters a header value may hold.
	printable := func(b []byte) string {
		for i := range b {
			b[i] = ' ' + b[i]%95
		}
		return strings.TrimSpace(string(b))
	}
	contentTypes := []string{"application/json", "multipart/form-data; boundary=x", "text/plain", "", "application/json; charset=utf-8"}
	contact := newContact("")
	valid := deleteBody(t, contact)
	peopleBefore := stack.People.Stats().Requests
	secretsBefore := stack.Secrets.Calls("AccessSecretVersion")
	for i := range 200 {
		var body []byte
		switch rng.IntN(3) {
		case 0:
			body = junk(4096)
		case 1:
			body = valid // a real request, but not signed with the key
		default:
			body = []byte(fmt.Sprintf(`{"resourceName":%q,"photoBytes":%q}`, contact, base64.StdEncoding.EncodeToString(junk(512))))
		}
		h := http.Header{}
		switch rng.IntN(5) {
		case 0:
			h[SignatureHeader] = nil
		case 1:
			h.Set(SignatureHeader, printable(junk(200)))
		case 2:
			h.Set(SignatureHeader, fmt.Sprintf("t=%d,v1=%x", time.Now().Unix(), junk(64)))
		case 3:
			h.Set(SignatureHeader, Sign(junk(40), time.Now(), body))
		default:
			h.Set(SignatureHeader, fmt.Sprintf("t=%d,v1=%x,v1=%x", rng.Int64(), junk(32), junk(32)))
		}
		method := http.MethodPost
		if rng.IntN(10) == 0 {
			method = []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch}[rng.IntN(4)]
		}
		a := send(t, method, contentTypes[rng.IntN(len(contentTypes))], body, h)
		if a.status < 400 || a.status >= 500 {
			t.Fatalf("request %d: HTTP %d, want a 4xx refusal: %s", i, a.status, a.body)
		}
		a.error(t)
	}
	if n := stack.People.Stats().Requests - peopleBefore; n != 0 {
		t.Errorf("200 junk requests made %d People API calls, want 0", n)
	}
	if n := stack.Secrets.Calls("AccessSecretVersion") - secretsBefore; n > 1 {
		t.Errorf("200 junk requests made %d Secret Manager reads, want at most 1", n)
	}
}

// countingReader is an endless request body that counts what was read.
type countingReader struct {
	mu sync.Mutex
	n  int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range p {
		p[i] = 'x'
	}
	r.n += int64(len(p))
	return len(p), nil
}

func (r *countingReader) count() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

func TestWebhookBodyTooLarge(t *testing.T) {
	limit := int64(DefaultMaxObjectBytes)
	t.Run("declared length, refused before reading", func(t *testing.T) {
		// A Content-Length of 1 TiB, and only one byte of body behind it:
		// an answer can only come if the function reads nothing.
		conn, err := net.Dial("tcp", strings.TrimPrefix(baseURL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		fmt.Fprintf(conn, "POST /%s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"+
			"%s: t=%d,v1=0000000000000000000000000000000000000000000000000000000000000000\r\nContent-Length: %d\r\n\r\n{", WebhookFunctionName, SignatureHeader, time.Now().Unix(), int64(1)<<40)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer without the body: %v", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		a := webhookAnswer{status: resp.StatusCode, header: resp.Header, body: body}
		if a.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("HTTP %d, want 413: %s", a.status, body)
		}
		a.error(t)
	})
	t.Run("streamed without a length, cut off at the limit", func(t *testing.T) {
		body := &countingReader{}
		req, err := http.NewRequest(http.MethodPost, webhookURL(), body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = -1 // chunked
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(SignatureHeader, fmt.Sprintf("t=%d,v1=0000000000000000000000000000000000000000000000000000000000000000", time.Now().Unix()))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		a := webhookAnswer{status: resp.StatusCode, header: resp.Header, body: data}
		if a.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("HTTP %d, want 413: %s", a.status, data)
		}
		a.error(t)
		// The body never ends, so any answer at all shows that the
		// function stopped reading. What the client sent is the limit plus
		// what the loopback sockets took in while the answer went out and
		// the connection closed.
		if n := body.count(); n > 4*limit {
			t.Errorf("the client sent %d bytes for a limit of %d", n, limit)
		}
	})
}

func TestWebhookRefusals(t *testing.T) {
	photo := testJPEG(t, 500, 400)
	b64 := base64.StdEncoding.EncodeToString(photo)
	ambiguous := "twins@example.com"
	stack.People.AddContact("", fmt.Sprintf("people/c%d", contactID.Add(1)), ambiguous)
	stack.People.AddContact("", fmt.Sprintf("people/c%d", contactID.Add(1)), ambiguous)
	noContact := upload(t, "webhook/no-contact.jpg", photo, map[string]string{"other": "x"})
	js := func(v any) func(*testing.T) webhookAnswer {
		return func(t *testing.T) webhookAnswer { return sendJSON(t, v) }
	}
	raw := func(method, ct, body string) func(*testing.T) webhookAnswer {
		return func(t *testing.T) webhookAnswer { return send(t, method, ct, []byte(body), nil) }
	}
	tests := []struct {
		name    string
		request func(t *testing.T) webhookAnswer
		status  int
		reason  string
		message string // a part of the message, when it matters
	}{
		{"GET", raw(http.MethodGet, "", ""), 405, "method_not_allowed", ""},
		{"PUT", raw(http.MethodPut, "application/json", "{}"), 405, "method_not_allowed", ""},
		{"text/plain", raw(http.MethodPost, "text/plain", "{}"), 415, "unsupported_media_type", ""},
		{"no content type", raw(http.MethodPost, "", "{}"), 415, "unsupported_media_type", ""},
		{"form-urlencoded", raw(http.MethodPost, "application/x-www-form-urlencoded", "resourceName=c1"), 415, "unsupported_media_type", ""},
		{"bad JSON", raw(http.MethodPost, "application/json", `{"resourceName":`), 400, "invalid_request", ""},
		{"two JSON values", raw(http.MethodPost, "application/json", `{"resourceName":"c1","action":"delete"} {}`), 400, "invalid_request", ""},
		{"unknown field", js(map[string]string{"resourceName": "c1", "photo": b64}), 400, "invalid_request", "unknown field"},
		{"empty object", js(map[string]string{}), 400, "invalid_request", ""},
		{"not base64", js(map[string]string{"resourceName": "c1", "photoBytes": "%%%"}), 400, "invalid_request", "base64"},
		{"unknown action", js(map[string]string{"resourceName": "c1", "action": "remove"}), 400, "invalid_request", "action"},
		{"re-run with a contact", js(map[string]string{"bucket": localstack.Bucket, "name": "x.jpg", "resourceName": "c1"}), 400, "invalid_request", ""},
		{"re-run without a name", js(map[string]string{"bucket": localstack.Bucket}), 400, "invalid_request", "name"},
		{"negative generation", js(map[string]any{"bucket": localstack.Bucket, "name": "x.jpg", "generation": -1}), 400, "invalid_request", "generation"},
		{"path traversal in resourceName", js(map[string]string{"resourceName": "people/../x", "photoBytes": b64}), 400, "invalid_contact", ""},
		{"people/me", js(map[string]string{"resourceName": "people/me", "action": "delete"}), 400, "invalid_contact", ""},
		{"multipart without boundary", raw(http.MethodPost, "multipart/form-data", "x"), 400, "invalid_request", "boundary"},
		{"multipart without photo", func(t *testing.T) webhookAnswer {
			body, ct := form(t, map[string]string{"resourceName": "c1"}, nil)
			return send(t, http.MethodPost, ct, body, nil)
		}, 400, "invalid_request", "photo"},
		{"multipart with an unknown field", func(t *testing.T) webhookAnswer {
			body, ct := form(t, map[string]string{"resourceName": "c1", "color": "red"}, photo)
			return send(t, http.MethodPost, ct, body, nil)
		}, 400, "invalid_request", "color"},
		{"unknown account", js(map[string]string{"resourceName": "c1", "photoBytes": b64, "account": "mallory"}), 400, "unknown_account", "mallory"},
		{"bucket not in WEBHOOK_BUCKETS", js(map[string]string{"bucket": "someone-elses-bucket", "name": "x.jpg"}), 403, "bucket_not_allowed", "WEBHOOK_BUCKETS"},
		{"contact not found", js(map[string]string{"resourceName": "people/c4040404040", "photoBytes": b64}), 404, "contact_not_found", ""},
		{"no contact with that email", js(map[string]string{"resourceName": "nobody@example.com", "action": "delete"}), 404, "contact_not_found", ""},
		{"object not found", js(map[string]string{"bucket": localstack.Bucket, "name": "webhook/missing.jpg"}), 404, "object_not_found", ""},
		{"generation overwritten", func(t *testing.T) webhookAnswer {
			old := upload(t, "webhook/overwritten.jpg", photo, map[string]string{"resourceName": "c1"})
			upload(t, "webhook/overwritten.jpg", photo, map[string]string{"resourceName": "c1"})
			return sendJSON(t, map[string]any{"bucket": old.Bucket, "name": old.Name, "generation": fmt.Sprint(old.Generation)})
		}, 404, "object_not_found", "overwritten"},
		{"ambiguous email", js(map[string]string{"resourceName": ambiguous, "photoBytes": b64}), 409, "ambiguous_contact", ""},
		{"not an image", js(map[string]string{"resourceName": "c1", "photoBytes": base64.StdEncoding.EncodeToString([]byte("hello, I am text"))}), 422, "unusable_image", ""},
		{"pixel budget", js(map[string]string{"resourceName": "c1", "photoBytes": base64.StdEncoding.EncodeToString(hugePNGHeader(t))}), 422, "unusable_image", ""},
		{"empty photo", js(map[string]string{"resourceName": "c1", "photoBytes": ""}), 422, "unusable_image", ""},
		{"object without a contact", js(map[string]string{"bucket": noContact.Bucket, "name": noContact.Name}), 422, "unusable_object", "resourceName"},
		{"revoked refresh token", js(map[string]string{"resourceName": "c1", "photoBytes": b64, "account": "revoked"}), 502, "upstream_refused", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.request(t)
			if a.status != tt.status {
				t.Fatalf("HTTP %d, want %d: %s", a.status, tt.status, a.body)
			}
			e := a.error(t)
			if e.Error.Reason != tt.reason {
				t.Errorf("reason %q, want %q (message %q)", e.Error.Reason, tt.reason, e.Error.Message)
			}
			if !strings.Contains(e.Error.Message, tt.message) {
				t.Errorf("message %q does not mention %q", e.Error.Message, tt.message)
			}
			if tt.status == 405 && a.header.Get("Allow") != http.MethodPost {
				t.Errorf("405 with Allow %q, want POST", a.header.Get("Allow"))
			}
		})
	}
}

func TestWebhookUnavailable(t *testing.T) {
	// The People API is busy or down for longer than the sender should
	// wait: 503 with Retry-After, so that the sender comes back later.
	b64 := base64.StdEncoding.EncodeToString(testJPEG(t, 300, 300))
	tests := []struct {
		name   string
		fault  peopletest.Fault
		reason string
	}{
		{"quota exhausted", peopletest.Fault{Status: 429, RetryAfter: 5 * time.Minute}, "quota_exhausted"},
		{"unavailable", peopletest.Fault{Status: 503, RetryAfter: 5 * time.Minute}, "unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			contact := newContact("")
			stack.People.FailNext(1, tt.fault)
			a := sendJSON(t, map[string]string{"resourceName": contact, "photoBytes": b64})
			if a.status != http.StatusServiceUnavailable {
				t.Fatalf("HTTP %d, want 503: %s", a.status, a.body)
			}
			if e := a.error(t); e.Error.Reason != tt.reason {
				t.Errorf("reason %q, want %q", e.Error.Reason, tt.reason)
			}
			if ra := a.header.Get("Retry-After"); ra == "" || ra == "0" {
				t.Errorf("Retry-After %q, want a number of seconds", ra)
			}
			// Once the API is back, the same request goes through.
			sendJSON(t, map[string]string{"resourceName": contact, "photoBytes": b64}).response(t)
		})
	}
}

func TestWebhookLogsOnce(t *testing.T) {
	contact := newContact("")
	sendJSON(t, map[string]string{"resourceName": contact, "action": "delete"}).response(t)
	send(t, http.MethodPost, "application/json", []byte(`{"resourceName":"`+contact+`","action":"delete"}`),
		http.Header{SignatureHeader: {"t=1,v1=00"}})
	data, err := os.ReadFile(logFile.Name())
	if err != nil {
		t.Fatal(err)
	}
	var ok, refused int
	for _, line := range bytes.Split(data, []byte("\n")) {
		var e logEntry
		if json.Unmarshal(line, &e) != nil || e.str("webhook") == "" {
			continue
		}
		if e.str("contact") == contact && e["status"] == float64(200) {
			ok++
		}
		if e["status"] == float64(401) && strings.Contains(e.str("message"), "signature") {
			refused++
		}
	}
	if ok != 1 {
		t.Errorf("logged %d lines for the successful request, want 1", ok)
	}
	if refused == 0 {
		t.Error("the refused request was not logged")
	}
	for _, secret := range [][]byte{webhookKey, []byte(base64.StdEncoding.EncodeToString(webhookKey))} {
		if bytes.Contains(data, secret) {
			t.Error("the log contains the webhook key")
		}
	}
}

func TestWebhookKeyCache(t *testing.T) {
	ctx := context.Background()
	sm, err := tokens.NewSecretClient(ctx, stack.Secrets.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer sm.Close()
	secret := "projects/" + localstack.Project + "/secrets/webhook-key-cache"
	keyA, keyB, keyE := []byte("key A, 16 bytes or more"), []byte("key B, 16 bytes or more"), []byte("key E, 16 bytes or more")
	if _, err := stack.Secrets.AddVersion(secret, keyA); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	k := newWebhookKeys(sm, secret+"/versions/latest", func() time.Time { return now }, slog.New(slog.DiscardHandler))
	add := func(payload []byte) string {
		v, err := stack.Secrets.AddVersion(secret, payload)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	current := func() ([]byte, error) { return k.current(ctx) }
	reread := func(tried []byte) func() ([]byte, error) {
		return func() ([]byte, error) { return k.reread(ctx, tried) }
	}
	steps := []struct {
		name     string
		advance  time.Duration
		before   func()
		call     func() ([]byte, error)
		want     []byte
		wantErr  string // part of the error; "" means no error
		reads    int    // Secret Manager reads the step may make
		minReads int
	}{
		{name: "first use reads the key", call: current, want: keyA, reads: 1, minReads: 1},
		{name: "then it is cached", advance: 20 * time.Second, call: current, want: keyA},
		{name: "a failed signature soon after a read does not re-read", advance: 10 * time.Second,
			before: func() { add(keyB) }, call: reread(keyA), want: nil},
		{name: "a failed signature a minute after a read re-reads", advance: 31 * time.Second,
			call: reread(keyA), want: keyB, reads: 1, minReads: 1},
		{name: "a request that tried the old key gets the new one without a read", advance: time.Second,
			call: reread(keyA), want: keyB},
		{name: "an unchanged key is not offered again", advance: time.Minute,
			call: reread(keyB), want: nil, reads: 1, minReads: 1},
		{name: "the key is read again when it expires", advance: webhookKeyTTL, call: current, want: keyB, reads: 1, minReads: 1},
		{name: "Secret Manager unavailable: the key held is kept", advance: webhookKeyTTL,
			before: func() { stack.Secrets.FailNext(100, codes.Unavailable) }, call: current, want: keyB, reads: 3, minReads: 1},
		{name: "and tried again a minute later", advance: webhookKeyRetry,
			before: func() { stack.Secrets.FailNext(0, codes.OK) }, call: current, want: keyB, reads: 1, minReads: 1},
		{name: "a disabled version stops the key at once", advance: webhookKeyTTL,
			before: func() {
				if _, err := sm.DisableSecretVersion(ctx, &secretmanagerpb.DisableSecretVersionRequest{Name: secret + "/versions/2"}); err != nil {
					t.Fatal(err)
				}
			}, call: current, wantErr: "FailedPrecondition", reads: 1, minReads: 1},
		{name: "and the failure is not asked again within a minute", advance: 30 * time.Second, call: current, wantErr: "FailedPrecondition"},
		{name: "a payload that fails its checksum", advance: webhookKeyRetry,
			before: func() {
				if err := stack.Secrets.CorruptData(add([]byte("key C, 16 bytes or more"))); err != nil {
					t.Fatal(err)
				}
			}, call: current, wantErr: "CRC32C", reads: 1, minReads: 1},
		{name: "a key too short to be safe", advance: webhookKeyRetry,
			before: func() { add([]byte("short\n")) }, call: current, wantErr: "6 bytes, under 16", reads: 1, minReads: 1},
		{name: "a good key again", advance: webhookKeyRetry,
			before: func() { add(keyE) }, call: current, want: keyE, reads: 1, minReads: 1},
	}
	for _, st := range steps {
		now = now.Add(st.advance)
		if st.before != nil {
			st.before()
		}
		before := stack.Secrets.Calls("AccessSecretVersion")
		got, err := st.call()
		reads := stack.Secrets.Calls("AccessSecretVersion") - before
		if reads < st.minReads || reads > st.reads {
			t.Errorf("%s: %d Secret Manager reads, want %d to %d", st.name, reads, st.minReads, st.reads)
		}
		if st.wantErr != "" {
			var ke *webhookKeyError
			if !errors.As(err, &ke) || !ke.Permanent() || !strings.Contains(err.Error(), st.wantErr) {
				t.Errorf("%s: error %v, want a permanent *webhookKeyError mentioning %q", st.name, err, st.wantErr)
			}
			for _, key := range [][]byte{keyA, keyB, keyE} {
				if err != nil && strings.Contains(err.Error(), string(key)) {
					t.Errorf("%s: the error holds a key", st.name)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", st.name, err)
		}
		if !bytes.Equal(got, st.want) {
			t.Errorf("%s: key %q, want %q", st.name, got, st.want)
		}
	}
}

func TestWebhookDisabled(t *testing.T) {
	// Without WEBHOOK_SECRET there is no webhook: every request is 404,
	// before anything else is looked at.
	p, err := defaultPipeline()
	if err != nil {
		t.Fatal(err)
	}
	off := &Pipeline{cfg: p.cfg, log: p.log, now: time.Now}
	body := deleteBody(t, "people/c1")
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		req := httptest.NewRequest(method, "/"+WebhookFunctionName, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(SignatureHeader, Sign(webhookKey, time.Now(), body))
		rec := httptest.NewRecorder()
		off.HandleWebhook(rec, req)
		a := webhookAnswer{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
		if a.status != http.StatusNotFound {
			t.Fatalf("%s: HTTP %d, want 404: %s", method, a.status, a.body)
		}
		if e := a.error(t); e.Error.Reason != "webhook_disabled" {
			t.Errorf("%s: reason %q, want webhook_disabled", method, e.Error.Reason)
		}
	}
}

// TestWebhookStaleSignatureRefusedBeforeBody checks that a header whose
// timestamp is outside the window is refused without reading the body, so
// a replayed header cannot make the function read megabytes.
func TestWebhookStaleSignatureRefusedBeforeBody(t *testing.T) {
	body := &countingReader{}
	req, err := http.NewRequest(http.MethodPost, webhookURL(), body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1 // chunked and endless
	req.Header.Set("Content-Type", "application/json")
	stale := time.Now().Add(-SignatureTolerance - time.Minute)
	req.Header.Set(SignatureHeader, Sign([]byte("any key at all, long enough"), stale, nil))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("HTTP %d, want 401", resp.StatusCode)
	}
	if n := body.count(); n > 8<<20 {
		t.Errorf("the client sent %d bytes before the 401; a stale header must be refused before the body is read", n)
	}
}
