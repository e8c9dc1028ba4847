package peopletest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactphoto/contactphoto/people/peopletest"
	"github.com/google/go-cmp/cmp"
	"github.com/googleapis/gax-go/v2/apierror"
	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	peopleapi "google.golang.org/api/people/v1"
)

func validate(tok string) (string, bool) { return strings.CutPrefix(tok, "token-") }

func newServer(t *testing.T, opt peopletest.Options) *peopletest.Server {
	t.Helper()
	opt.Validate = validate
	s := peopletest.NewServer(&opt)
	t.Cleanup(s.Close)
	return s
}

// newService is the real People API client for account, against s.
func newService(t *testing.T, s *peopletest.Server, account string) *peopleapi.Service {
	t.Helper()
	hc := &http.Client{Transport: &oauth2.Transport{
		Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "token-" + account}),
		Base:   s.Client().Transport,
	}}
	svc, err := peopleapi.NewService(context.Background(), option.WithEndpoint(s.URL), option.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func jpegBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 20, 10))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gifBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Black, color.White})
	var buf bytes.Buffer
	if err := gif.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type googleError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
	} `json:"error"`
}

// TestStrictness sends requests the real client would never send, and some
// it would, and checks the answers are Google's.
func TestStrictness(t *testing.T) {
	jpg := jpegBytes(t)
	body := func(photo []byte) string {
		return `{"photoBytes":"` + base64.StdEncoding.EncodeToString(photo) + `"}`
	}
	const update = "/v1/people/c1:updateContactPhoto"
	tests := []struct {
		name       string
		method     string
		path       string
		token      string // "" means none; default token-<empty account>
		noToken    bool
		ctype      string
		body       string
		wantCode   int
		wantStatus string
		wantMsg    string
	}{
		{name: "ok", method: "PATCH", path: update, body: body(jpg), wantCode: 200},
		{name: "ok url-safe base64", method: "PATCH", path: update,
			body: `{"photoBytes":"` + base64.RawURLEncoding.EncodeToString(jpg) + `"}`, wantCode: 200},
		{name: "no token", method: "PATCH", path: update, noToken: true, body: body(jpg),
			wantCode: 401, wantStatus: "UNAUTHENTICATED", wantMsg: "missing required authentication credential"},
		{name: "bad token", method: "PATCH", path: update, token: "Bearer forged", body: body(jpg),
			wantCode: 401, wantStatus: "UNAUTHENTICATED", wantMsg: "invalid authentication credentials"},
		{name: "basic auth", method: "PATCH", path: update, token: "Basic dG9rZW4tOg==", body: body(jpg),
			wantCode: 401, wantStatus: "UNAUTHENTICATED"},
		{name: "wrong method", method: "POST", path: update, body: body(jpg), wantCode: 404, wantStatus: "NOT_FOUND"},
		{name: "unknown custom method", method: "PATCH", path: "/v1/people/c1:mergeContacts", body: body(jpg), wantCode: 404},
		{name: "dot segments", method: "PATCH", path: "/v1/people/../x:updateContactPhoto", body: body(jpg), wantCode: 404},
		{name: "people/me", method: "PATCH", path: "/v1/people/me:updateContactPhoto", body: body(jpg),
			wantCode: 400, wantStatus: "INVALID_ARGUMENT", wantMsg: "not a valid contact person resource"},
		{name: "escaped query", method: "PATCH", path: "/v1/people/c1%3Fx:updateContactPhoto", body: body(jpg), wantCode: 400},
		{name: "unknown parameter", method: "PATCH", path: update + "?force=true", body: body(jpg),
			wantCode: 400, wantMsg: `Unknown name "force"`},
		{name: "form body", method: "PATCH", path: update, ctype: "application/x-www-form-urlencoded", body: "photoBytes=x", wantCode: 400},
		{name: "not json", method: "PATCH", path: update, body: "{photoBytes:", wantCode: 400, wantMsg: "Invalid JSON payload"},
		{name: "unknown field", method: "PATCH", path: update, body: `{"photo":"x"}`, wantCode: 400, wantMsg: `Unknown name "photo"`},
		{name: "two objects", method: "PATCH", path: update, body: body(jpg) + "{}", wantCode: 400},
		{name: "no photo", method: "PATCH", path: update, body: `{}`, wantCode: 400, wantMsg: "Invalid photo format"},
		{name: "not base64", method: "PATCH", path: update, body: `{"photoBytes":"***"}`, wantCode: 400, wantMsg: "Base64 decoding failed"},
		{name: "gif", method: "PATCH", path: update, body: body(gifBytes(t)), wantCode: 400, wantMsg: "Invalid photo format"},
		{name: "truncated jpeg", method: "PATCH", path: update, body: body(jpg[:len(jpg)/2]), wantCode: 400, wantMsg: "Invalid photo format"},
		{name: "jpeg magic only", method: "PATCH", path: update, body: body([]byte("\xff\xd8\xff\xe0garbage")), wantCode: 400},
		{name: "bad personFields", method: "PATCH", path: update, body: `{"photoBytes":"` + base64.StdEncoding.EncodeToString(jpg) + `","personFields":"photo"}`, wantCode: 400},
		{name: "unknown contact", method: "PATCH", path: "/v1/people/c2:updateContactPhoto", body: body(jpg),
			wantCode: 404, wantStatus: "NOT_FOUND", wantMsg: "Requested entity was not found."},
		{name: "another account's contact", method: "PATCH", path: "/v1/people/c3:updateContactPhoto", body: body(jpg), wantCode: 404},
		{name: "delete", method: "DELETE", path: "/v1/people/c1:deleteContactPhoto", wantCode: 200},
		{name: "get without personFields", method: "GET", path: "/v1/people/c1", wantCode: 400, wantMsg: "personFields mask is required"},
		{name: "get", method: "GET", path: "/v1/people/c1?personFields=photos", wantCode: 200},
		{name: "search without readMask", method: "GET", path: "/v1/people:searchContacts?query=a", wantCode: 400, wantMsg: "readMask is required"},
		{name: "search without query", method: "GET", path: "/v1/people:searchContacts?readMask=names", wantCode: 400},
		{name: "search page too small", method: "GET", path: "/v1/people:searchContacts?query=a&readMask=names&pageSize=-1", wantCode: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, peopletest.Options{})
			s.AddContact("", "people/c1")
			s.AddContact("other", "people/c3")
			req, err := http.NewRequest(tt.method, s.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			// Keep the path as written: no dot-segment cleaning.
			req.URL.Opaque = "//" + req.URL.Host + strings.SplitN(tt.path, "?", 2)[0]
			if !tt.noToken {
				req.Header.Set("Authorization", cmpOr(tt.token, "Bearer token-"))
			}
			if tt.body != "" {
				req.Header.Set("Content-Type", cmpOr(tt.ctype, "application/json"))
			}
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.wantCode, raw)
			}
			if tt.wantCode == 200 {
				return
			}
			var ge googleError
			if err := json.Unmarshal(raw, &ge); err != nil {
				t.Fatalf("error body is not Google's JSON: %v: %s", err, raw)
			}
			if ge.Error.Code != tt.wantCode || ge.Error.Message == "" || ge.Error.Status == "" {
				t.Errorf("error body %s lacks code, message or status", raw)
			}
			if tt.wantStatus != "" && ge.Error.Status != tt.wantStatus {
				t.Errorf("status %q, want %q", ge.Error.Status, tt.wantStatus)
			}
			if !strings.Contains(ge.Error.Message, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", ge.Error.Message, tt.wantMsg)
			}
			if len(s.Updates()) != 0 {
				t.Errorf("a rejected request was recorded as an update")
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestUpdateGetDeleteWithClient(t *testing.T) {
	s := newServer(t, peopletest.Options{})
	s.AddContact("crm", "people/c1", "alice@example.com")
	svc := newService(t, s, "crm")
	jpg := jpegBytes(t)
	resp, err := svc.People.UpdateContactPhoto("people/c1", &peopleapi.UpdateContactPhotoRequest{
		PhotoBytes:   base64.StdEncoding.EncodeToString(jpg),
		PersonFields: "photos,emailAddresses",
	}).Do()
	if err != nil {
		t.Fatal(err)
	}
	updates := s.Updates()
	want := []peopletest.Update{{Account: "crm", ResourceName: "people/c1", Photo: jpg, Format: "jpeg", Width: 20, Height: 10, URL: s.URL + "/photos/0"}}
	if diff := cmp.Diff(want, updates); diff != "" {
		t.Fatalf("updates mismatch (-want +got):\n%s", diff)
	}
	if resp.Person == nil || len(resp.Person.Photos) != 1 || resp.Person.Photos[0].Url != updates[0].URL ||
		len(resp.Person.EmailAddresses) != 1 || resp.Person.EmailAddresses[0].Value != "alice@example.com" {
		t.Fatalf("person in response = %+v", resp.Person)
	}
	// The photo URL serves the stored bytes.
	r, err := http.Get(updates[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !bytes.Equal(served, jpg) || r.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("photo URL served %d bytes of %s", len(served), r.Header.Get("Content-Type"))
	}
	p, err := svc.People.Get("people/c1").PersonFields("photos").Do()
	if err != nil || len(p.Photos) != 1 || p.Photos[0].Default {
		t.Fatalf("Get = %+v, %v", p, err)
	}
	if _, err := svc.People.DeleteContactPhoto("people/c1").Do(); err != nil {
		t.Fatal(err)
	}
	p, err = svc.People.Get("people/c1").PersonFields("photos").Do()
	if err != nil || len(p.Photos) != 1 || !p.Photos[0].Default {
		t.Fatalf("Get after delete = %+v, %v; want the default photo", p, err)
	}
	if _, ok := s.Photo("crm", "people/c1"); ok {
		t.Error("Photo still reports a photo after delete")
	}
	if st := s.Stats(); st.Updates != 1 || st.Deletes != 1 || st.Gets != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestSearchNeedsWarmUp(t *testing.T) {
	clock := peopletest.NewFakeClock(time.Now())
	s := newServer(t, peopletest.Options{Clock: clock})
	s.AddContact("", "people/c1", "alice@example.com")
	s.AddContact("", "people/c2", "alice@example.com.au", "Al@Other.example")
	s.AddContact("", "people/c3", "bob@example.com")
	s.AddContact("x", "people/c4", "alice@example.com")
	svc := newService(t, s, "")
	search := func(q string) []string {
		t.Helper()
		resp, err := svc.People.SearchContacts().Query(q).ReadMask("emailAddresses").Do()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range resp.Results {
			names = append(names, r.Person.ResourceName)
			if len(r.Person.EmailAddresses) == 0 {
				t.Errorf("result %s has no emailAddresses despite the readMask", r.Person.ResourceName)
			}
		}
		return names
	}
	if got := search("alice"); got != nil {
		t.Errorf("search before warm-up = %v, want nothing", got)
	}
	if got := search(""); got != nil {
		t.Errorf("warm-up returned %v", got)
	}
	clock.Advance(peopletest.DefaultSearchCacheDelay)
	for q, want := range map[string][]string{
		"alice":             {"people/c1", "people/c2"},
		"ALICE@example.com": {"people/c1", "people/c2"},
		"al":                {"people/c1", "people/c2"},
		"bob@":              {"people/c3"},
		"lice":              nil,
	} {
		if diff := cmp.Diff(want, search(q)); diff != "" {
			t.Errorf("search %q mismatch (-want +got):\n%s", q, diff)
		}
	}
	if st := s.Stats(); st.WarmUps != 1 || st.Searches != 6 {
		t.Errorf("stats %+v", st)
	}
}

// TestErrorDetails checks that the client library reads the details of the
// quota and service-disabled answers, as it does Google's.
func TestErrorDetails(t *testing.T) {
	s := newServer(t, peopletest.Options{WriteQuota: 2})
	s.AddContact("", "people/c1")
	svc := newService(t, s, "")
	req := &peopleapi.UpdateContactPhotoRequest{PhotoBytes: base64.StdEncoding.EncodeToString(jpegBytes(t))}
	for i := range 2 {
		if _, err := svc.People.UpdateContactPhoto("people/c1", req).Do(); err != nil {
			t.Fatalf("write %d within quota: %v", i, err)
		}
	}
	_, err := svc.People.UpdateContactPhoto("people/c1", req).Do()
	ae, ok := errors.AsType[*apierror.APIError](err)
	if !ok || ae.HTTPCode() != 429 || ae.Reason() != "RATE_LIMIT_EXCEEDED" ||
		ae.Metadata()["quota_metric"] != peopletest.QuotaMetric || ae.Metadata()["quota_limit_value"] != "2" {
		t.Fatalf("write over quota = %v; want 429 RATE_LIMIT_EXCEEDED with the quota metric", err)
	}
	if s.Stats().QuotaRejections != 1 {
		t.Errorf("quota rejections = %d", s.Stats().QuotaRejections)
	}
	// Another account has its own quota.
	s.AddContact("b", "people/c1")
	if _, err := newService(t, s, "b").People.UpdateContactPhoto("people/c1", req).Do(); err != nil {
		t.Errorf("another account's write: %v", err)
	}

	s.SetServiceDisabled(true)
	_, err = svc.People.Get("people/c1").PersonFields("names").Do()
	ae, ok = errors.AsType[*apierror.APIError](err)
	if !ok || ae.HTTPCode() != 403 || ae.Reason() != "SERVICE_DISABLED" || ae.Metadata()["service"] != "people.googleapis.com" ||
		!strings.HasPrefix(ae.Metadata()["activationUrl"], "https://console.developers.google.com/apis/api/people.googleapis.com/") ||
		ae.Details().Help == nil {
		t.Fatalf("call with the API disabled = %v; want 403 SERVICE_DISABLED with details", err)
	}
}

func TestQuotaWindowSlides(t *testing.T) {
	s := newServer(t, peopletest.Options{WriteQuota: 3, QuotaWindow: 200 * time.Millisecond})
	s.AddContact("", "people/c1")
	svc := newService(t, s, "")
	req := &peopleapi.UpdateContactPhotoRequest{PhotoBytes: base64.StdEncoding.EncodeToString(jpegBytes(t))}
	var codes []int
	for range 4 {
		codes = append(codes, statusOf(svc.People.UpdateContactPhoto("people/c1", req).Do()))
	}
	time.Sleep(250 * time.Millisecond)
	codes = append(codes, statusOf(svc.People.UpdateContactPhoto("people/c1", req).Do()))
	if diff := cmp.Diff([]int{200, 200, 200, 429, 200}, codes); diff != "" {
		t.Errorf("answers mismatch (-want +got):\n%s", diff)
	}
}

func statusOf(_ any, err error) int {
	if err == nil {
		return 200
	}
	if ge, ok := errors.AsType[*googleapi.Error](err); ok {
		return ge.Code
	}
	return -1
}

func TestFaults(t *testing.T) {
	s := newServer(t, peopletest.Options{})
	s.AddContact("", "people/c1")
	svc := newService(t, s, "")
	s.FailNext(1, peopletest.Fault{Status: 503, RetryAfter: 1500 * time.Millisecond})
	s.FailNext(1, peopletest.Fault{Status: 429})
	s.FailNext(1, peopletest.Fault{Status: 502})
	s.FailNext(1, peopletest.Fault{Reset: true})
	get := func() error {
		_, err := svc.People.Get("people/c1").PersonFields("names").Do()
		return err
	}
	err := get()
	if ge, ok := errors.AsType[*googleapi.Error](err); !ok || ge.Code != 503 || ge.Header.Get("Retry-After") != "2" {
		t.Errorf("first call = %v; want 503 with Retry-After: 2", err)
	}
	err = get()
	if ge, ok := errors.AsType[*googleapi.Error](err); !ok || ge.Code != 429 || ge.Header.Get("Retry-After") != "" {
		t.Errorf("second call = %v; want 429 without Retry-After", err)
	}
	err = get()
	if ge, ok := errors.AsType[*googleapi.Error](err); !ok || ge.Code != 502 || !strings.Contains(ge.Body, "<html") {
		t.Errorf("third call = %v; want 502 with an HTML page", err)
	}
	// A write, because the transport itself retries an idempotent GET on a
	// reused connection that was reset.
	req := &peopleapi.UpdateContactPhotoRequest{PhotoBytes: base64.StdEncoding.EncodeToString(jpegBytes(t))}
	if _, err := svc.People.UpdateContactPhoto("people/c1", req).Do(); err == nil || errors.As(err, new(*googleapi.Error)) {
		t.Errorf("fourth call = %v; want a connection error", err)
	} else {
		t.Log(err)
	}
	if err := get(); err != nil {
		t.Errorf("after the faults: %v", err)
	}
	if st := s.Stats(); st.Faults != 4 || st.Gets != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestOverlapDetector(t *testing.T) {
	s := newServer(t, peopletest.Options{Latency: 100 * time.Millisecond, OverlapCode: "OK"})
	s.AddContact("", "people/c1")
	s.AddContact("", "people/c2")
	s.AddContact("b", "people/c1")
	req := &peopleapi.UpdateContactPhotoRequest{PhotoBytes: base64.StdEncoding.EncodeToString(jpegBytes(t))}
	write := func(account, name string) {
		if _, err := newService(t, s, account).People.UpdateContactPhoto(name, req).Do(); err != nil {
			t.Error(err)
		}
	}
	// Different accounts in parallel are fine.
	var wg sync.WaitGroup
	wg.Go(func() { write("", "people/c1") })
	wg.Go(func() { write("b", "people/c1") })
	wg.Wait()
	if got := s.Stats().Overlaps; got != 0 {
		t.Fatalf("writes of two accounts counted as %d overlaps", got)
	}
	wg.Go(func() { write("", "people/c1") })
	wg.Go(func() { write("", "people/c2") })
	wg.Wait()
	if got := s.Stats().Overlaps; got != 1 {
		t.Errorf("two parallel writes of one account: %d overlaps, want 1", got)
	}
}

func TestRandomFaults(t *testing.T) {
	const calls = 2000
	run := func(seed uint64) (peopletest.Stats, []int) {
		s := newServer(t, peopletest.Options{Seed: seed, ReadQuota: -1, RandomFaults: []peopletest.RandomFault{
			{Fault: peopletest.Fault{Status: 503}, Probability: 0.20},
			{Fault: peopletest.Fault{Status: 429, RetryAfter: time.Second}, Probability: 0.05},
		}})
		s.AddContact("", "people/c1")
		svc := newService(t, s, "")
		var codes []int
		for range calls {
			_, err := svc.People.Get("people/c1").PersonFields("names").Do()
			code := 200
			if ge, ok := errors.AsType[*googleapi.Error](err); ok {
				code = ge.Code
				if code == 429 && ge.Header.Get("Retry-After") != "1" {
					t.Fatalf("429 with Retry-After %q, want 1", ge.Header.Get("Retry-After"))
				}
			} else if err != nil {
				t.Fatal(err)
			}
			codes = append(codes, code)
		}
		return s.Stats(), codes
	}
	st, codes := run(7)
	// With 2000 calls the counts stay within 4.5 standard deviations of
	// their expectation (400 ± 80 and 100 ± 44) for any seed but freak ones;
	// the seed is fixed, so the test is deterministic.
	if n := st.FaultsByStatus[503]; n < 320 || n > 480 {
		t.Errorf("503s = %d of %d calls, want about 20%%", n, calls)
	}
	if n := st.FaultsByStatus[429]; n < 56 || n > 144 {
		t.Errorf("429s = %d of %d calls, want about 5%%", n, calls)
	}
	if st.Faults != st.FaultsByStatus[503]+st.FaultsByStatus[429] || st.Gets != calls-st.Faults {
		t.Errorf("stats %+v do not add up", st)
	}
	if _, again := run(7); !slices.Equal(codes, again) {
		t.Error("the same seed gave a different sequence of faults")
	}
}

func TestRandomFaultsValidated(t *testing.T) {
	for _, faults := range [][]peopletest.RandomFault{
		{{Fault: peopletest.Fault{Status: 503}, Probability: 1.5}},
		{{Fault: peopletest.Fault{Status: 503}, Probability: 0.6}, {Fault: peopletest.Fault{Reset: true}, Probability: 0.6}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewServer accepted probabilities %+v", faults)
				}
			}()
			peopletest.NewServer(&peopletest.Options{RandomFaults: faults}).Close()
		}()
	}
}
