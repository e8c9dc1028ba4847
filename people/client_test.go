package people

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contactphoto/contactphoto/people/peopletest"
	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/oauth2"
)

func TestUpdatePhoto(t *testing.T) {
	jpg, pngData := testJPEG(t, 64, 48), testPNG(t, 32, 32)
	tests := []struct {
		name         string
		account      string
		resourceName string
		photo        []byte
		personFields string
		want         peopletest.Update
		wantURL      bool
	}{
		{name: "jpeg", resourceName: "people/c1", photo: jpg,
			want: peopletest.Update{ResourceName: "people/c1", Photo: jpg, Format: "jpeg", Width: 64, Height: 48}},
		{name: "png bare id", resourceName: "c1", photo: pngData,
			want: peopletest.Update{ResourceName: "people/c1", Photo: pngData, Format: "png", Width: 32, Height: 32}},
		{name: "named account", account: "crm", resourceName: "people/c2", photo: jpg,
			want: peopletest.Update{Account: "crm", ResourceName: "people/c2", Photo: jpg, Format: "jpeg", Width: 64, Height: 48}},
		{name: "photo url", resourceName: "people/c1", photo: jpg, personFields: "photos", wantURL: true,
			want: peopletest.Update{ResourceName: "people/c1", Photo: jpg, Format: "jpeg", Width: 64, Height: 48}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, nil)
			srv.AddContact("", "people/c1")
			srv.AddContact("crm", "people/c2")
			c := newClient(t, srv, nil, &Options{PersonFields: tt.personFields})
			got, err := c.UpdatePhoto(context.Background(), tt.account, tt.resourceName, tt.photo)
			if err != nil {
				t.Fatalf("UpdatePhoto: %v", err)
			}
			updates := srv.Updates()
			if len(updates) != 1 {
				t.Fatalf("server recorded %d updates, want 1", len(updates))
			}
			if diff := gocmp.Diff(tt.want, updates[0], cmpopts.IgnoreFields(peopletest.Update{}, "URL")); diff != "" {
				t.Errorf("recorded update mismatch (-want +got):\n%s", diff)
			}
			want := &Photo{ResourceName: tt.want.ResourceName}
			if tt.wantURL {
				want.URL = updates[0].URL
			}
			if diff := gocmp.Diff(want, got); diff != "" {
				t.Errorf("UpdatePhoto result mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeletePhoto(t *testing.T) {
	srv := newServer(t, nil)
	srv.AddContact("", "people/c1")
	c := newClient(t, srv, nil, nil)
	ctx := context.Background()
	if _, err := c.UpdatePhoto(ctx, "", "people/c1", testJPEG(t, 8, 8)); err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.Photo("", "people/c1"); !ok {
		t.Fatal("no photo after update")
	}
	if err := c.DeletePhoto(ctx, "", "people/c1"); err != nil {
		t.Fatalf("DeletePhoto: %v", err)
	}
	if _, ok := srv.Photo("", "people/c1"); ok {
		t.Error("photo still there after DeletePhoto")
	}
	err := c.DeletePhoto(ctx, "", "people/c404")
	if e, ok := errors.AsType[*Error](err); !ok || e.Kind != ContactNotFound {
		t.Errorf("DeletePhoto of an unknown contact = %v, want ContactNotFound", err)
	}
}

// TestErrorKinds checks that every failure lands in its kind, with the right
// permanence, a message that says what to do, and no retry where none helps.
func TestErrorKinds(t *testing.T) {
	jpg := testJPEG(t, 16, 16)
	tests := []struct {
		name      string
		setup     func(srv *peopletest.Server, tokens *testTokens)
		contact   string
		photo     []byte
		wantKind  Kind
		wantPerm  bool
		wantMsg   []string
		wantCalls int  // API requests the server saw
		forged    bool // the client sends a token the server does not know
	}{
		{name: "invalid resource name", contact: "people/../x", wantKind: InvalidContact, wantPerm: true,
			wantMsg: []string{`"people/../x"`, "people/c<digits>"}, wantCalls: 0},
		{name: "email instead of resource name", contact: "alice@example.com", wantKind: InvalidContact, wantPerm: true,
			wantMsg: []string{"Resolve"}, wantCalls: 0},
		{name: "unknown contact", contact: "people/c999", wantKind: ContactNotFound, wantPerm: true,
			wantMsg: []string{"people/c999", "no such contact"}, wantCalls: 1},
		{name: "not an image", photo: []byte("GIF89a not really"), wantKind: InvalidPhoto, wantPerm: true,
			wantMsg: []string{"Invalid photo format", "JPEG or PNG"}, wantCalls: 1},
		{name: "empty photo", photo: []byte{}, wantKind: InvalidPhoto, wantPerm: true,
			wantMsg: []string{"empty"}, wantCalls: 0},
		{name: "missing scope",
			setup: func(srv *peopletest.Server, _ *testTokens) {
				srv.FailNext(1, peopletest.Fault{Status: http.StatusForbidden})
			},
			wantKind: PermissionDenied, wantPerm: true,
			wantMsg: []string{"insufficient authentication scopes", "auth/contacts"}, wantCalls: 1},
		{name: "api disabled",
			setup:    func(srv *peopletest.Server, _ *testTokens) { srv.SetServiceDisabled(true) },
			wantKind: APIDisabled, wantPerm: true,
			wantMsg: []string{"people.googleapis.com", "projects/123456789012",
				"https://console.developers.google.com/apis/api/people.googleapis.com/overview?project=123456789012"},
			wantCalls: 1},
		{name: "refresh token revoked",
			setup: func(_ *peopletest.Server, tt *testTokens) {
				tt.tokenErr = map[string]error{"": &oauth2.RetrieveError{ErrorCode: "invalid_grant", ErrorDescription: "Token has been expired or revoked."}}
			},
			wantKind: AuthRevoked, wantPerm: true, wantMsg: []string{"contactphoto authorize", "invalid_grant"}, wantCalls: 0},
		{name: "refresh token revoked, adapter message",
			setup: func(_ *peopletest.Server, tt *testTokens) {
				tt.tokenErr = map[string]error{"": revokedError{&oauth2.RetrieveError{ErrorCode: "invalid_grant"}}}
			},
			wantKind: AuthRevoked, wantPerm: true,
			wantMsg: []string{"contactphoto authorize --client-secret client_secret.json --secret projects/P/secrets/S"}, wantCalls: 0},
		{name: "token source fails permanently",
			setup: func(_ *peopletest.Server, tt *testTokens) {
				tt.errs = map[string]error{"": permanentError{"account \"\" has no secret: set TOKEN_SECRET", true}}
			},
			wantKind: AuthRevoked, wantPerm: true, wantMsg: []string{"set TOKEN_SECRET"}, wantCalls: 0},
		{name: "token source fails transiently",
			setup: func(_ *peopletest.Server, tt *testTokens) {
				tt.errs = map[string]error{"": permanentError{"secret manager unavailable", false}}
			},
			wantKind: Unavailable, wantPerm: false, wantMsg: []string{"secret manager unavailable"}, wantCalls: 0},
		{name: "token endpoint down",
			setup: func(_ *peopletest.Server, tt *testTokens) {
				tt.tokenErr = map[string]error{"": &oauth2.RetrieveError{Response: &http.Response{StatusCode: 503}}}
			},
			wantKind: Unavailable, wantPerm: false, wantMsg: []string{"access token"}, wantCalls: 0},
		{name: "access token rejected twice", forged: true,
			wantKind: Unauthenticated, wantPerm: true, wantMsg: []string{"refused an access token", "ACCESS_TOKEN_TYPE_UNSUPPORTED", "contactphoto authorize"}, wantCalls: 2},
		{name: "other contact", contact: "otherContacts/c5", wantKind: InvalidContact, wantPerm: true,
			wantMsg: []string{"add it to the contacts first", "copyOtherContactToMyContactsGroup"}, wantCalls: 0},
		{name: "profile id", contact: "people/104857600000000000001", wantKind: InvalidContact, wantPerm: true,
			wantMsg: []string{"Admin SDK", "users.photos.update"}, wantCalls: 0},
		{name: "write overlapping another instance's, every time",
			setup: func(srv *peopletest.Server, _ *testTokens) {
				srv.FailNext(100, peopletest.Fault{Code: "FAILED_PRECONDITION"})
			},
			wantKind: Unavailable, wantPerm: false, wantMsg: []string{"overlapped another", "FAILED_PRECONDITION"}, wantCalls: 8},
		{name: "aborted",
			setup: func(srv *peopletest.Server, _ *testTokens) {
				srv.FailNext(100, peopletest.Fault{Code: "ABORTED"})
			},
			wantKind: Unavailable, wantPerm: false, wantMsg: []string{"ABORTED"}, wantCalls: 8},
		{name: "unknown 400",
			setup: func(srv *peopletest.Server, _ *testTokens) {
				srv.FailNext(1, peopletest.Fault{Code: "OUT_OF_RANGE"})
			},
			wantKind: Rejected, wantPerm: true, wantMsg: []string{"400 OUT_OF_RANGE", "Bad Request."}, wantCalls: 1},
		{name: "read quota on the read-back",
			setup: func(srv *peopletest.Server, _ *testTokens) {
				srv.FailNext(100, peopletest.Fault{Status: http.StatusTooManyRequests, ReadQuota: true})
			},
			wantKind: QuotaExhausted, wantPerm: false,
			wantMsg: []string{"read quota", peopletest.ReadQuotaMetric, "Critical read requests (Contact and Profile Reads)", "PEOPLE_PERSON_FIELDS"}, wantCalls: 8},
		{name: "quota exhausted",
			setup: func(srv *peopletest.Server, _ *testTokens) {
				srv.FailNext(100, peopletest.Fault{Status: http.StatusTooManyRequests})
			},
			wantKind: QuotaExhausted, wantPerm: false, wantMsg: []string{peopletest.QuotaMetric}, wantCalls: 8},
		{name: "service unavailable",
			setup: func(srv *peopletest.Server, _ *testTokens) {
				srv.FailNext(100, peopletest.Fault{Status: http.StatusServiceUnavailable})
			},
			wantKind: Unavailable, wantPerm: false, wantMsg: []string{"503"}, wantCalls: 8},
		{name: "bad gateway html",
			setup: func(srv *peopletest.Server, _ *testTokens) {
				srv.FailNext(100, peopletest.Fault{Status: http.StatusBadGateway})
			},
			wantKind: Unavailable, wantPerm: false, wantMsg: []string{"502"}, wantCalls: 8},
		{name: "connection resets",
			setup: func(srv *peopletest.Server, _ *testTokens) {
				srv.FailNext(100, peopletest.Fault{Reset: true})
			},
			wantKind: Unavailable, wantPerm: false, wantMsg: []string{"reset"}, wantCalls: 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, nil)
			srv.AddContact("", "people/c1")
			tokens := &testTokens{}
			if tt.setup != nil {
				tt.setup(srv, tokens)
			}
			var ts TokenSources = tokens
			if tt.forged {
				ts = forgedTokens{}
			}
			c := newClient(t, srv, ts, nil)
			contact := cmp.Or(tt.contact, "people/c1")
			photo := tt.photo
			if photo == nil {
				photo = jpg
			}
			_, err := c.UpdatePhoto(context.Background(), "", contact, photo)
			e, ok := errors.AsType[*Error](err)
			if !ok {
				t.Fatalf("UpdatePhoto = %v (%T), want *Error", err, err)
			}
			t.Log(err)
			if e.Kind != tt.wantKind || e.Permanent() != tt.wantPerm {
				t.Errorf("got kind %v permanent %v, want %v permanent %v (%v)", e.Kind, e.Permanent(), tt.wantKind, tt.wantPerm, err)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("message %q does not mention %q", err, m)
				}
			}
			if got := srv.Stats().Requests; got != tt.wantCalls {
				t.Errorf("server saw %d requests, want %d", got, tt.wantCalls)
			}
			if len(srv.Updates()) != 0 {
				t.Errorf("server recorded updates: %v", srv.Updates())
			}
		})
	}
}

// permanentError is a token-source error that carries its own decision, as
// the token adapter's errors do.
type permanentError struct {
	msg  string
	perm bool
}

func (e permanentError) Error() string   { return e.msg }
func (e permanentError) Permanent() bool { return e.perm }

// revokedError is the token adapter's error for a revoked refresh token.
type revokedError struct{ err *oauth2.RetrieveError }

func (e revokedError) Error() string {
	return "tokens: refresh token revoked; run contactphoto authorize --client-secret client_secret.json --secret projects/P/secrets/S"
}
func (e revokedError) Unwrap() error   { return e.err }
func (e revokedError) Permanent() bool { return true }

// forgedTokens hands out a token the stand-in does not accept.
type forgedTokens struct{}

func (forgedTokens) TokenSource(context.Context, string) (oauth2.TokenSource, error) {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "forged"}), nil
}

func TestRetryThenSucceed(t *testing.T) {
	tests := []struct {
		name   string
		fault  peopletest.Fault
		n      int
		minDur time.Duration // Retry-After to honour
	}{
		{name: "503", fault: peopletest.Fault{Status: http.StatusServiceUnavailable}, n: 3},
		{name: "500", fault: peopletest.Fault{Status: http.StatusInternalServerError}, n: 2},
		{name: "502 html", fault: peopletest.Fault{Status: http.StatusBadGateway}, n: 2},
		{name: "504", fault: peopletest.Fault{Status: http.StatusGatewayTimeout}, n: 2},
		{name: "429", fault: peopletest.Fault{Status: http.StatusTooManyRequests}, n: 3},
		{name: "429 retry-after", fault: peopletest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second}, n: 1, minDur: time.Second},
		{name: "503 retry-after", fault: peopletest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: time.Second}, n: 1, minDur: time.Second},
		{name: "connection reset", fault: peopletest.Fault{Reset: true}, n: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, nil)
			srv.AddContact("", "people/c1")
			srv.FailNext(tt.n, tt.fault)
			c := newClient(t, srv, nil, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			if _, err := c.UpdatePhoto(ctx, "", "people/c1", testJPEG(t, 8, 8)); err != nil {
				t.Fatalf("UpdatePhoto after %d faults: %v", tt.n, err)
			}
			if d := time.Since(start); d < tt.minDur {
				t.Errorf("succeeded after %v; Retry-After asked for %v", d, tt.minDur)
			}
			st := srv.Stats()
			if st.Faults != tt.n || st.Updates != 1 || st.Requests != tt.n+1 {
				t.Errorf("server stats %+v; want %d faults then 1 update", st, tt.n)
			}
		})
	}
}

func TestRetryStopsAtDeadline(t *testing.T) {
	srv := newServer(t, nil)
	srv.AddContact("", "people/c1")
	srv.FailNext(1000, peopletest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: 5 * time.Second})
	c := newClient(t, srv, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.UpdatePhoto(ctx, "", "people/c1", testJPEG(t, 8, 8))
	if e, ok := errors.AsType[*Error](err); !ok || e.Kind != Unavailable || e.Permanent() {
		t.Fatalf("UpdatePhoto = %v, want transient Unavailable", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("gave up after %v; a Retry-After past the deadline should end the call at once", d)
	}
	if got := srv.Stats().Requests; got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
}
