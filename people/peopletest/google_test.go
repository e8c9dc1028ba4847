package peopletest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/googleapis/gax-go/v2/apierror"
	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	peopleapi "google.golang.org/api/people/v1"

	"github.com/contactphoto/contactphoto/people/peopletest"
)

// apiStatus returns the HTTP code, the canonical "status" and the ErrorInfo
// reason of an error answer.
func apiStatus(t *testing.T, err error) (int, string, string) {
	t.Helper()
	ge, ok := errors.AsType[*googleapi.Error](err)
	if !ok {
		t.Fatalf("error %v (%T) is not a *googleapi.Error", err, err)
	}
	var body struct {
		Error struct {
			Status string `json:"status"`
		} `json:"error"`
	}
	if jerr := json.Unmarshal([]byte(ge.Body), &body); jerr != nil {
		t.Fatalf("error body %q is not JSON: %v", ge.Body, jerr)
	}
	reason := ""
	if ae, ok := errors.AsType[*apierror.APIError](err); ok {
		reason = ae.Reason()
	}
	return ge.Code, body.Error.Status, reason
}

// TestSearchCache follows the cache the reference describes: a search sees
// the contacts as they were a few seconds after the latest warm-up.
func TestSearchCache(t *testing.T) {
	clock := peopletest.NewFakeClock(time.Now())
	s := newServer(t, peopletest.Options{Clock: clock})
	s.AddContact("", "people/c1", "alice@example.com")
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
		}
		return names
	}
	search("")
	clock.Advance(peopletest.DefaultSearchCacheDelay - time.Millisecond)
	if got := search("alice"); got != nil {
		t.Errorf("search just before the cache refreshed = %v, want nothing", got)
	}
	clock.Advance(time.Millisecond)
	if got := search("alice"); !slices.Equal(got, []string{"people/c1"}) {
		t.Errorf("search once the cache refreshed = %v, want people/c1", got)
	}
	clock.Advance(time.Second)
	s.AddContact("", "people/c2", "bob@example.com")
	clock.Advance(time.Hour)
	if got := search("bob"); got != nil {
		t.Errorf("search for a contact added after the warm-up = %v, want nothing until the next warm-up", got)
	}
	search("")
	if got := search("bob"); got != nil {
		t.Errorf("search right after the second warm-up = %v, want nothing yet", got)
	}
	clock.Advance(peopletest.DefaultSearchCacheDelay)
	if got := search("bob"); !slices.Equal(got, []string{"people/c2"}) {
		t.Errorf("search after the second warm-up plus the delay = %v, want people/c2", got)
	}
	if st := s.Stats(); st.StaleSearches != 3 || st.WarmUps != 2 {
		t.Errorf("stats %+v, want 3 stale searches and 2 warm-ups", st)
	}
}

// TestSearchMatchesPrefixPhrases follows the reference's example: "a person
// with name "foo name" matches queries such as "f", "fo", "foo", "foo n",
// "nam", etc., but not "oo n"", on names, nicknames, emails, phones and
// organizations.
func TestSearchMatchesPrefixPhrases(t *testing.T) {
	clock := peopletest.NewFakeClock(time.Now())
	s := newServer(t, peopletest.Options{Clock: clock, SearchCacheDelay: -1})
	s.AddPerson("", peopletest.Person{ResourceName: "people/c1", Names: []string{"Foo Name"}})
	s.AddPerson("", peopletest.Person{ResourceName: "people/c2", Nicknames: []string{"Bobby"}, Phones: []string{"+1 555 0100"}})
	s.AddPerson("", peopletest.Person{ResourceName: "people/c3", Organizations: []string{"Example Corp"}, Emails: []string{"x@corp.example"}})
	svc := newService(t, s, "")
	if _, err := svc.People.SearchContacts().Query("").ReadMask("names").Do(); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string][]string{
		"f": {"people/c1"}, "fo": {"people/c1"}, "foo": {"people/c1"}, "foo n": {"people/c1"}, "nam": {"people/c1"}, "FOO NAME": {"people/c1"},
		"oo n": nil, "ame": nil,
		"bob": {"people/c2"}, "+1 555": {"people/c2"}, "555": {"people/c2"},
		"corp": {"people/c3"}, "example": {"people/c3"}, "x@corp": {"people/c3"},
	} {
		resp, err := svc.People.SearchContacts().Query(q).ReadMask("names,nicknames,phoneNumbers,organizations,emailAddresses").Do()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range resp.Results {
			got = append(got, r.Person.ResourceName)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("search %q mismatch (-want +got):\n%s", q, diff)
		}
	}
}

// TestOfficialClientRequests sends what the official people/v1 client sends
// for every method the product uses, and what it can send but the
// discovery document refuses.
func TestOfficialClientRequests(t *testing.T) {
	clock := peopletest.NewFakeClock(time.Now())
	s := newServer(t, peopletest.Options{Clock: clock, SearchCacheDelay: -1})
	s.AddContact("", "people/c1", "alice@example.com")
	svc := newService(t, s, "")
	photo := base64.StdEncoding.EncodeToString(jpegBytes(t))

	t.Run("updateContactPhoto with personFields and sources", func(t *testing.T) {
		resp, err := svc.People.UpdateContactPhoto("people/c1", &peopleapi.UpdateContactPhotoRequest{
			PhotoBytes: photo, PersonFields: "photos,emailAddresses", Sources: []string{"READ_SOURCE_TYPE_CONTACT", "READ_SOURCE_TYPE_PROFILE"},
		}).Do()
		if err != nil {
			t.Fatal(err)
		}
		if resp.Person == nil || len(resp.Person.Photos) != 1 || resp.Person.Photos[0].Default {
			t.Errorf("person after the update = %+v, want its new photo", resp.Person)
		}
	})
	t.Run("deleteContactPhoto with personFields and sources", func(t *testing.T) {
		resp, err := svc.People.DeleteContactPhoto("people/c1").PersonFields("photos").Sources("READ_SOURCE_TYPE_CONTACT").Do()
		if err != nil {
			t.Fatal(err)
		}
		if resp.Person == nil || len(resp.Person.Photos) != 1 || !resp.Person.Photos[0].Default {
			t.Errorf("person after the delete = %+v, want the default photo", resp.Person)
		}
	})
	t.Run("get with personFields", func(t *testing.T) {
		p, err := svc.People.Get("people/c1").PersonFields("emailAddresses").Sources("READ_SOURCE_TYPE_CONTACT").Do()
		if err != nil || p.ResourceName != "people/c1" || len(p.EmailAddresses) != 1 {
			t.Fatalf("get = %+v, %v", p, err)
		}
	})
	t.Run("get with requestMask.includeField", func(t *testing.T) {
		p, err := svc.People.Get("people/c1").RequestMaskIncludeField("person.emailAddresses").Do()
		if err != nil || len(p.EmailAddresses) != 1 {
			t.Fatalf("get = %+v, %v", p, err)
		}
	})
	t.Run("get people/me", func(t *testing.T) {
		p, err := svc.People.Get("people/me").PersonFields("names").Do()
		if err != nil || p.ResourceName != "people/"+peopletest.ProfileID("") {
			t.Fatalf("get people/me = %+v, %v", p, err)
		}
		again, err := svc.People.Get(p.ResourceName).PersonFields("names").Do()
		if err != nil || again.ResourceName != p.ResourceName {
			t.Fatalf("get %s = %+v, %v", p.ResourceName, again, err)
		}
	})
	t.Run("searchContacts with sources", func(t *testing.T) {
		if _, err := svc.People.SearchContacts().Query("").ReadMask("names").Do(); err != nil {
			t.Fatal(err)
		}
		resp, err := svc.People.SearchContacts().Query("alice").ReadMask("emailAddresses").PageSize(30).
			Sources("READ_SOURCE_TYPE_CONTACT").Do()
		if err != nil || len(resp.Results) != 1 {
			t.Fatalf("search = %+v, %v", resp, err)
		}
	})

	refused := []struct {
		name    string
		call    func() error
		wantMsg string
	}{
		{"get with an invalid source", func() error {
			_, err := svc.People.Get("people/c1").PersonFields("names").Sources("READ_SOURCE_TYPE_CONTACTS").Do()
			return err
		}, "READ_SOURCE_TYPE_CONTACTS"},
		{"search with an invalid source", func() error {
			_, err := svc.People.SearchContacts().Query("a").ReadMask("names").Sources("CONTACT").Do()
			return err
		}, "sources[0]"},
		{"delete with an invalid source", func() error {
			_, err := svc.People.DeleteContactPhoto("people/c1").Sources("READ_SOURCE_TYPE_CONTACT", "bogus").Do()
			return err
		}, "sources[1]"},
		{"update with an invalid source", func() error {
			_, err := svc.People.UpdateContactPhoto("people/c1", &peopleapi.UpdateContactPhotoRequest{PhotoBytes: photo, Sources: []string{"nope"}}).Do()
			return err
		}, "nope"},
		{"get without a field mask", func() error {
			_, err := svc.People.Get("people/c1").Do()
			return err
		}, "personFields mask is required"},
		{"update of an other contact", func() error {
			_, err := svc.People.UpdateContactPhoto("otherContacts/c5", &peopleapi.UpdateContactPhotoRequest{PhotoBytes: photo}).Do()
			return err
		}, "not a valid contact person resource"},
		{"update of a profile", func() error {
			_, err := svc.People.UpdateContactPhoto("people/104857600000000000001", &peopleapi.UpdateContactPhotoRequest{PhotoBytes: photo}).Do()
			return err
		}, "not a valid contact person resource"},
		{"update of people/me", func() error {
			_, err := svc.People.UpdateContactPhoto("people/me", &peopleapi.UpdateContactPhotoRequest{PhotoBytes: photo}).Do()
			return err
		}, "not a valid contact person resource"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("accepted")
			}
			if code, status, _ := apiStatus(t, err); code != 400 || status != "INVALID_ARGUMENT" || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("got %d %s %v, want 400 INVALID_ARGUMENT mentioning %q", code, status, err, tt.wantMsg)
			}
		})
	}
}

// TestOverlappingWritesRefused: a write that starts while another of the
// same account is in flight gets 400 FAILED_PRECONDITION, and is not
// applied.
func TestOverlappingWritesRefused(t *testing.T) {
	s := newServer(t, peopletest.Options{Latency: 100 * time.Millisecond})
	s.AddContact("", "people/c1")
	s.AddContact("", "people/c2")
	req := &peopleapi.UpdateContactPhotoRequest{PhotoBytes: base64.StdEncoding.EncodeToString(jpegBytes(t))}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, name := range []string{"people/c1", "people/c2"} {
		wg.Go(func() {
			if i == 1 {
				time.Sleep(30 * time.Millisecond)
			}
			_, errs[i] = newService(t, s, "").People.UpdateContactPhoto(name, req).Do()
		})
	}
	wg.Wait()
	if errs[0] != nil {
		t.Fatalf("first write: %v", errs[0])
	}
	if code, status, _ := apiStatus(t, errs[1]); code != 400 || status != "FAILED_PRECONDITION" {
		t.Errorf("overlapping write answered %d %s, want 400 FAILED_PRECONDITION", code, status)
	}
	if st := s.Stats(); st.Overlaps != 1 || st.Updates != 1 || len(s.Updates()) != 1 {
		t.Errorf("stats %+v, want 1 overlap refused and 1 update", st)
	}
}

// TestHTTPMapping checks faults given by canonical code against Google's
// mapping: https://cloud.google.com/apis/design/errors#handling_errors.
func TestHTTPMapping(t *testing.T) {
	s := newServer(t, peopletest.Options{})
	s.AddContact("", "people/c1")
	svc := newService(t, s, "")
	for code, want := range map[string]int{
		"FAILED_PRECONDITION": 400, "OUT_OF_RANGE": 400, "ABORTED": 409, "ALREADY_EXISTS": 409,
		"UNAUTHENTICATED": 401, "PERMISSION_DENIED": 403, "RESOURCE_EXHAUSTED": 429, "CANCELLED": 499,
		"UNKNOWN": 500, "DATA_LOSS": 500, "UNIMPLEMENTED": 501, "UNAVAILABLE": 503, "DEADLINE_EXCEEDED": 504,
	} {
		s.FailNext(1, peopletest.Fault{Code: code})
		_, err := svc.People.Get("people/c1").PersonFields("names").Do()
		if got, status, _ := apiStatus(t, err); got != want || status != code {
			t.Errorf("fault %s answered %d %s, want %d", code, got, status, want)
		}
	}
}

// TestReadQuotaApart: reads and writes spend separate quotas, and each 429
// names its own metric.
func TestReadQuotaApart(t *testing.T) {
	s := newServer(t, peopletest.Options{WriteQuota: 1, ReadQuota: 2})
	s.AddContact("", "people/c1")
	svc := newService(t, s, "")
	for range 2 {
		if _, err := svc.People.Get("people/c1").PersonFields("names").Do(); err != nil {
			t.Fatal(err)
		}
	}
	_, err := svc.People.Get("people/c1").PersonFields("names").Do()
	ae, ok := errors.AsType[*apierror.APIError](err)
	if !ok || ae.Metadata()["quota_metric"] != peopletest.ReadQuotaMetric || ae.Reason() != "RATE_LIMIT_EXCEEDED" ||
		!strings.Contains(err.Error(), "Critical read requests (Contact and Profile Reads)") {
		t.Fatalf("third read = %v, want 429 on %s", err, peopletest.ReadQuotaMetric)
	}
	// The write quota is untouched by the reads; a write without
	// personFields spends no read quota.
	req := &peopleapi.UpdateContactPhotoRequest{PhotoBytes: base64.StdEncoding.EncodeToString(jpegBytes(t))}
	if _, err := svc.People.UpdateContactPhoto("people/c1", req).Do(); err != nil {
		t.Fatalf("write after the reads: %v", err)
	}
	_, err = svc.People.UpdateContactPhoto("people/c1", req).Do()
	if ae, ok := errors.AsType[*apierror.APIError](err); !ok || ae.Metadata()["quota_metric"] != peopletest.QuotaMetric {
		t.Fatalf("second write = %v, want 429 on %s", err, peopletest.QuotaMetric)
	}
	if st := s.Stats(); st.ReadQuotaRejections != 1 || st.QuotaRejections != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestExpiredToken: a token Validate refuses and Expired reports gets 401
// with the reason ACCESS_TOKEN_EXPIRED; any other refused token a different
// reason.
func TestExpiredToken(t *testing.T) {
	s := peopletest.NewServer(&peopletest.Options{
		Validate: func(tok string) (string, bool) { return "", tok == "good" },
		Expired:  func(tok string) bool { return tok == "old" },
	})
	t.Cleanup(s.Close)
	for tok, want := range map[string]string{"old": "ACCESS_TOKEN_EXPIRED", "forged": "ACCESS_TOKEN_TYPE_UNSUPPORTED"} {
		hc := &http.Client{Transport: &oauth2.Transport{Source: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok}), Base: s.Client().Transport}}
		svc, err := peopleapi.NewService(context.Background(), option.WithEndpoint(s.URL), option.WithHTTPClient(hc))
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.People.Get("people/me").PersonFields("names").Do()
		if code, status, reason := apiStatus(t, err); code != 401 || status != "UNAUTHENTICATED" || reason != want {
			t.Errorf("token %q: %d %s %s, want 401 UNAUTHENTICATED %s", tok, code, status, reason, want)
		}
	}
}
