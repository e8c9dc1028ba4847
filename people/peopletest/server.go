// Package peopletest is a strict stand-in for the Google People API, for
// tests and demos. It serves the photo methods (updateContactPhoto,
// deleteContactPhoto), get and searchContacts on 127.0.0.1 and answers like
// Google does, with Google's error JSON:
//
//   - only the documented routes and query parameters, with a Bearer token
//     that Options.Validate accepts (401 UNAUTHENTICATED otherwise);
//   - photo bytes must be base64 in a JSON body and decode as JPEG or PNG
//     (400 INVALID_ARGUMENT "Invalid photo format" otherwise);
//   - unknown contacts, or contacts of another account, are 404 NOT_FOUND;
//   - writes are limited per account per minute (429 RESOURCE_EXHAUSTED with
//     the quota metric in the details);
//   - reads (get, searchContacts, and the read-back of a mutation with
//     personFields) are limited per account per minute separately from
//     writes, each 429 naming its own quota metric;
//   - two writes for one account in flight at once: the later one is
//     answered 400 FAILED_PRECONDITION (Options.OverlapCode);
//   - searchContacts answers from a per-account cache: a search sees the
//     contacts as they were a few seconds (Options.SearchCacheDelay) after
//     the latest warm-up request (an empty query); before the first one it
//     sees nothing, and a contact added or changed later stays invisible
//     until the next warm-up plus the delay. It matches prefix phrases of
//     names, nicknames, email addresses, phone numbers and organizations;
//   - get accepts people/me and the account's profile id as well as
//     contacts, and personFields or the older requestMask.includeField;
//     the photo methods accept only contacts (people/c…), as
//     updateContactPhoto answers 400 for other contacts and profiles;
//   - enum parameters (sources) and field masks are checked like the
//     discovery document declares them.
//
// Tests can inject faults (503, 429 with or without Retry-After, connection
// resets, or any canonical code such as FAILED_PRECONDITION or
// UNAUTHENTICATED with the HTTP status Google maps it to), one by one or at
// random with a seeded generator, add latency, disable the API (403
// SERVICE_DISABLED), run the search cache on a FakeClock, and read what the
// server saw: the photos it stored, overlapping writes, stale searches,
// quota refusals and 401s.
package peopletest

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // the API accepts JPEG
	_ "image/png"  // and PNG
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const service = "people.googleapis.com"

// Quota names in a RESOURCE_EXHAUSTED answer: the write quota and the
// read quota ("Critical read requests (Contact and Profile Reads)").
const (
	QuotaMetric     = "people.googleapis.com/critical_write_requests"
	QuotaLimit      = "CriticalWriteRequestsPerMinutePerUser"
	ReadQuotaMetric = "people.googleapis.com/critical_read_requests"
	ReadQuotaLimit  = "CriticalReadRequestsPerMinutePerUser"
)

// DefaultReadQuota is the number of reads an account may make per
// QuotaWindow.
const DefaultReadQuota = 90

// DefaultSearchCacheDelay is how long after a warm-up request the search
// cache takes to refresh. Google's guide sends the search "after several
// seconds"; searches before that see the previous state of the cache
// (https://developers.google.com/people/v1/contacts#search_the_users_contacts).
const DefaultSearchCacheDelay = 3 * time.Second

// DefaultWriteQuota is the number of writes an account may make per
// QuotaWindow, like the per-user quota of a Google Cloud project.
const DefaultWriteQuota = 60

// maxBody bounds a request body; Google refuses larger requests too.
const maxBody = 32 << 20

// Options configures a Server. The zero value is ready to use.
type Options struct {
	// Validate checks a Bearer access token and names its account. nil
	// accepts any non-empty token for the default account "".
	Validate func(accessToken string) (account string, ok bool)
	// WriteQuota is the number of writes per account per QuotaWindow;
	// 0 means DefaultWriteQuota and a negative value means no quota.
	WriteQuota int
	// ReadQuota is the number of reads per account per QuotaWindow; 0 means
	// DefaultReadQuota and a negative value means no quota.
	ReadQuota int
	// QuotaWindow is the sliding window of WriteQuota and ReadQuota; 0
	// means a minute.
	QuotaWindow time.Duration
	// Expired reports whether an access token that Validate refuses has
	// expired, so that the 401 carries the reason ACCESS_TOKEN_EXPIRED; nil
	// means never.
	Expired func(accessToken string) bool
	// SearchCacheDelay is how long after a warm-up the search cache holds
	// the account's contacts; 0 means DefaultSearchCacheDelay, and a
	// negative value makes a warm-up take effect at once.
	SearchCacheDelay time.Duration
	// Clock is the time the search cache goes by; nil means real time.
	// Quotas and Latency always use real time.
	Clock *FakeClock
	// OverlapCode is the canonical error code answering a write that
	// starts while another write of its account is in flight: ""
	// means FAILED_PRECONDITION (HTTP 400), "ABORTED" is 409, and "OK"
	// lets such writes through, only counting them.
	OverlapCode string
	// Latency delays every answer, as the real service takes a while.
	Latency time.Duration
	// Project is the project number named in errors; "" means "123456789012".
	Project string
	// RandomFaults fail calls at random, as a service has bad minutes. Each
	// call that no FailNext fault answers draws once: the first entry whose
	// share of the cumulative probability covers the draw answers it.
	RandomFaults []RandomFault
	// Seed seeds the draws of RandomFaults, so that a run's sequence of
	// draws can be repeated.
	Seed uint64
}

// RandomFault is a Fault that answers a share of the calls.
type RandomFault struct {
	Fault
	// Probability is the chance, in [0, 1], that a call fails this way.
	Probability float64
}

// Fault is a failure to answer in place of a call.
type Fault struct {
	// Status is the HTTP status to answer: 429 (quota shape), 500, 502
	// (an HTML page, as Google's front end sends), 503, 504, 401 (expired
	// access token) or 403 (missing scope), or any other code with a
	// generic message. Ignored when Code is set.
	Status int
	// Code is the canonical error code to answer, such as
	// "FAILED_PRECONDITION"; the HTTP status follows Google's mapping.
	Code string
	// Reason is the ErrorInfo reason to attach, if any.
	Reason string
	// ReadQuota makes a 429 name the read quota instead of the write quota.
	ReadQuota bool
	// RetryAfter sets a Retry-After header, in whole seconds rounded up.
	RetryAfter time.Duration
	// Reset closes the connection without an answer (a TCP reset) instead.
	Reset bool
}

// Update is a photo the server stored.
type Update struct {
	Account      string
	ResourceName string
	Photo        []byte
	Format       string // "jpeg" or "png"
	Width        int
	Height       int
	URL          string // where the server serves the photo
}

// Stats counts what the server saw.
type Stats struct {
	Requests                                  int // calls to API methods, whatever the answer
	Updates, Deletes, Gets, Searches, WarmUps int // successful calls
	QuotaRejections                           int // 429s from the write quota
	ReadQuotaRejections                       int // 429s from the read quota
	Unauthenticated                           int // 401s: no, a forged or an expired access token
	// StaleSearches counts searches that missed a contact they match,
	// because the search cache did not hold it yet.
	StaleSearches int
	Faults        int // injected faults served
	// FaultsByStatus counts the injected faults by HTTP status; 0 counts
	// connection resets.
	FaultsByStatus map[int]int
	// Overlaps counts writes that started while another write of the same
	// account was in flight: the API asks clients not to do that. Unless
	// OverlapCode is "OK", each was refused.
	Overlaps int
}

// Server is a running stand-in. URL is the base URL for the client's
// endpoint option (PEOPLE_API_ENDPOINT).
type Server struct {
	*httptest.Server

	validate    func(string) (string, bool)
	expired     func(string) bool
	quota       int
	readQuota   int
	window      time.Duration
	cacheDelay  time.Duration
	clock       *FakeClock
	overlapCode string
	latency     time.Duration
	project     string
	random      []RandomFault

	mu       sync.Mutex
	contacts map[contactKey]*contact
	warmups  map[string][]time.Time // warm-up requests per account, by the cache's clock
	faults   []Fault
	disabled bool
	inflight map[string]int
	writes   map[string][]time.Time // admitted writes per account, for the quota
	reads    map[string][]time.Time // admitted reads per account, for the read quota
	updates  []Update
	photos   []Update // served at /photos/<index>
	stats    Stats
	rng      *rand.Rand // draws RandomFaults; guarded by mu
}

type contactKey struct{ account, resourceName string }

type contact struct {
	Person
	changed time.Time // when the contact was added or renamed, by the cache's clock
	photo   *Update   // nil: no photo
	etag    int
}

// Person is a contact's fields that searchContacts matches.
type Person struct {
	ResourceName  string // people/c<digits>
	Names         []string
	Nicknames     []string
	Emails        []string
	Phones        []string
	Organizations []string
}

// NewServer starts a Server on 127.0.0.1. A nil opt means the defaults.
func NewServer(opt *Options) *Server {
	if opt == nil {
		opt = &Options{}
	}
	s := &Server{
		validate:    opt.Validate,
		expired:     opt.Expired,
		quota:       opt.WriteQuota,
		readQuota:   opt.ReadQuota,
		window:      opt.QuotaWindow,
		cacheDelay:  opt.SearchCacheDelay,
		clock:       opt.Clock,
		overlapCode: cmp.Or(opt.OverlapCode, "FAILED_PRECONDITION"),
		latency:     opt.Latency,
		project:     opt.Project,
		contacts:    make(map[contactKey]*contact),
		warmups:     make(map[string][]time.Time),
		reads:       make(map[string][]time.Time),
		inflight:    make(map[string]int),
		writes:      make(map[string][]time.Time),
		random:      slices.Clone(opt.RandomFaults),
		rng:         rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15)),
	}
	s.stats.FaultsByStatus = make(map[int]int)
	var total float64
	for _, f := range s.random {
		if f.Probability < 0 || f.Probability > 1 {
			panic(fmt.Sprintf("peopletest: RandomFault probability %v is not in [0, 1]", f.Probability))
		}
		total += f.Probability
	}
	if total > 1 {
		panic(fmt.Sprintf("peopletest: RandomFault probabilities add up to %v, over 1", total))
	}
	if s.validate == nil {
		s.validate = func(tok string) (string, bool) { return "", tok != "" }
	}
	if s.quota == 0 {
		s.quota = DefaultWriteQuota
	}
	if s.readQuota == 0 {
		s.readQuota = DefaultReadQuota
	}
	if s.cacheDelay == 0 {
		s.cacheDelay = DefaultSearchCacheDelay
	}
	if s.expired == nil {
		s.expired = func(string) bool { return false }
	}
	if _, ok := httpStatus[s.overlapCode]; !ok && s.overlapCode != "OK" {
		panic(fmt.Sprintf("peopletest: OverlapCode %q is not a canonical error code", s.overlapCode))
	}
	if s.window <= 0 {
		s.window = time.Minute
	}
	if s.project == "" {
		s.project = "123456789012"
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

var contactName = regexp.MustCompile(`^people/c[0-9]+$`)

// AddContact adds a contact with the given email addresses to an account.
// resourceName must be "people/c<digits>".
func (s *Server) AddContact(account, resourceName string, emails ...string) {
	s.AddPerson(account, Person{ResourceName: resourceName, Emails: emails})
}

// AddPerson adds a contact to an account, or replaces the one of the same
// resource name. Searches see it after the next warm-up.
func (s *Server) AddPerson(account string, p Person) {
	if !contactName.MatchString(p.ResourceName) {
		panic(fmt.Sprintf("peopletest: AddPerson: %q is not people/c<digits>", p.ResourceName))
	}
	p.Names, p.Nicknames, p.Emails = slices.Clone(p.Names), slices.Clone(p.Nicknames), slices.Clone(p.Emails)
	p.Phones, p.Organizations = slices.Clone(p.Phones), slices.Clone(p.Organizations)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contacts[contactKey{account, p.ResourceName}] = &contact{Person: p, changed: s.now()}
}

// Clock returns Options.Clock: nil when the search cache goes by real
// time.
func (s *Server) Clock() *FakeClock { return s.clock }

// now is the time of the search cache's clock.
func (s *Server) now() time.Time {
	if s.clock != nil {
		return s.clock.Now()
	}
	return time.Now()
}

// RenameContact gives a contact a new resource name, as the API does when a
// contact is linked to a profile; the old name then answers 404.
func (s *Server) RenameContact(account, oldName, newName string) {
	if !contactName.MatchString(newName) {
		panic(fmt.Sprintf("peopletest: RenameContact: %q is not people/c<digits>", newName))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.contacts[contactKey{account, oldName}]
	if !ok {
		panic(fmt.Sprintf("peopletest: RenameContact: no contact %s in account %q", oldName, account))
	}
	delete(s.contacts, contactKey{account, oldName})
	c.ResourceName = newName
	c.changed = s.now()
	s.contacts[contactKey{account, newName}] = c
}

// FailNext makes the next n calls, of any method, fail with f. Faults queue
// up in the order they are added.
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// SetServiceDisabled makes every authenticated call answer 403
// SERVICE_DISABLED, as when the project has not enabled the People API.
func (s *Server) SetServiceDisabled(disabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disabled = disabled
}

// Updates returns the successful photo updates, in order.
func (s *Server) Updates() []Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.updates)
}

// Photo returns the current photo of a contact.
func (s *Server) Photo(account, resourceName string) (Update, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.contacts[contactKey{account, resourceName}]
	if !ok || c.photo == nil {
		return Update{}, false
	}
	return *c.photo, true
}

// Stats returns what the server counted so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.FaultsByStatus = maps.Clone(s.stats.FaultsByStatus)
	return st
}

var (
	// personPath is a method on a person: the discovery document's paths
	// are v1/{+resourceName} with resourceName ^people/[^/]+$, and the
	// photo methods' otherContacts/… are told apart by the handler.
	personPath = regexp.MustCompile(`^/v1/(people|otherContacts)/([^/:]*)(:[A-Za-z]+)?$`)
	photoPath  = regexp.MustCompile(`^/photos/([0-9]+)(=[a-z0-9-]+)?$`) // with an image-sizing option
	contactID  = regexp.MustCompile(`^c[0-9]+$`)
	profileID  = regexp.MustCompile(`^[0-9]+$`)
)

// commonParams are the system parameters every method accepts.
var commonParams = []string{"alt", "prettyPrint", "fields", "quotaUser", "$.xgafv", "callback", "uploadType", "upload_protocol", "access_token", "key", "oauth_token"}

// readSourceTypes are the values of the repeated enum parameter sources
// of get, searchContacts and deleteContactPhoto, and of the sources field
// of an updateContactPhoto body (people/v1 discovery document,
// ReadSourceType).
var readSourceTypes = []string{
	"READ_SOURCE_TYPE_UNSPECIFIED", "READ_SOURCE_TYPE_PROFILE", "READ_SOURCE_TYPE_CONTACT",
	"READ_SOURCE_TYPE_DOMAIN_CONTACT", "READ_SOURCE_TYPE_OTHER_CONTACT",
}

// checkSources returns the API's complaint about sources values, or "".
func checkSources(field string, values []string) string {
	for i, v := range values {
		if !slices.Contains(readSourceTypes, v) {
			return fmt.Sprintf("Invalid value at '%s[%d]' (type.googleapis.com/google.people.v1.ReadSourceType), %q", field, i, v)
		}
	}
	return ""
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	if m := photoPath.FindStringSubmatch(p); m != nil && r.Method == http.MethodGet {
		s.servePhoto(w, m[1])
		return
	}
	var method string
	var params []string
	var collection, id string
	switch m := personPath.FindStringSubmatch(p); {
	case p == "/v1/people:searchContacts" && r.Method == http.MethodGet:
		method, params = "SearchContacts", []string{"query", "readMask", "pageSize", "sources"}
	case p == "/v1/people/me/connections" && r.Method == http.MethodGet:
		method, params = "ListConnections", []string{"personFields", "pageSize", "pageToken", "sortOrder", "sources", "requestSyncToken", "syncToken", "requestMask.includeField"}
	case m != nil && m[3] == ":updateContactPhoto" && r.Method == http.MethodPatch:
		method, collection, id = "UpdateContactPhoto", m[1], m[2]
	case m != nil && m[3] == ":deleteContactPhoto" && r.Method == http.MethodDelete:
		method, collection, id, params = "DeleteContactPhoto", m[1], m[2], []string{"personFields", "sources"}
	case m != nil && m[1] == "people" && m[3] == "" && r.Method == http.MethodGet:
		method, collection, id, params = "GetPerson", m[1], m[2], []string{"personFields", "sources", "requestMask.includeField"}
	default:
		writeError(w, "NOT_FOUND", "Method not found.")
		return
	}
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()
	q := r.URL.Query()
	for k := range q {
		if !slices.Contains(commonParams, k) && !slices.Contains(params, k) {
			s.invalidArgument(w, "Invalid JSON payload received. Unknown name %q: Cannot bind query parameter. Field %q could not be found in request message.", k, k)
			return
		}
	}
	if alt := q.Get("alt"); alt != "" && alt != "json" {
		s.invalidArgument(w, "Invalid value for alt: %q", alt)
		return
	}
	if msg := checkSources("sources", q["sources"]); msg != "" {
		s.invalidArgument(w, "%s", msg)
		return
	}
	mutation := method == "UpdateContactPhoto" || method == "DeleteContactPhoto"
	// updateContactPhoto and deleteContactPhoto work on contacts only:
	// other contacts and profiles are refused with this message.
	// https://developers.google.com/people/api/rest/v1/people/updateContactPhoto
	switch {
	case mutation && (collection != "people" || !contactID.MatchString(id)):
		s.invalidArgument(w, "Resource name \"%s/%s\" is not a valid contact person resource.", collection, id)
		return
	case !mutation && id != "" && id != "me" && !contactID.MatchString(id) && !profileID.MatchString(id):
		s.invalidArgument(w, "Resource name \"people/%s\" is not a valid person resource.", id)
		return
	}

	account, ok := s.authenticate(w, r, method)
	if !ok {
		return
	}
	if mutation {
		done, refused := s.beginWrite(account)
		defer done()
		if refused {
			writeError(w, s.overlapCode, "Precondition check failed: another request for this user is in progress. Mutate requests for the same user should be sent sequentially.")
			return
		}
	}
	if !s.sleep(r) {
		return
	}
	if s.takeFault(w, r, method, account) {
		return
	}
	switch method {
	case "UpdateContactPhoto":
		s.updateContactPhoto(w, r, account, "people/"+id)
	case "DeleteContactPhoto":
		s.deleteContactPhoto(w, r, account, "people/"+id)
	case "GetPerson":
		s.getPerson(w, r, account, id)
	case "SearchContacts":
		s.searchContacts(w, r, account)
	case "ListConnections":
		s.listConnections(w, r, account)
	}
}

// authenticate checks the Bearer token and the service state.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, method string) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		s.unauthenticated(w, method, "CREDENTIALS_MISSING")
		return "", false
	}
	scheme, token, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
		s.unauthenticated(w, method, "ACCESS_TOKEN_TYPE_UNSUPPORTED")
		return "", false
	}
	account, ok := s.validate(token)
	if !ok {
		reason := "ACCESS_TOKEN_TYPE_UNSUPPORTED"
		if s.expired(token) {
			reason = "ACCESS_TOKEN_EXPIRED"
		}
		s.unauthenticated(w, method, reason)
		return "", false
	}
	s.mu.Lock()
	disabled := s.disabled
	s.mu.Unlock()
	if disabled {
		s.serviceDisabled(w)
		return "", false
	}
	return account, true
}

// beginWrite records a write in flight for the overlap detector, and says
// whether to refuse it because another write of the account is in flight.
func (s *Server) beginWrite(account string) (done func(), refused bool) {
	s.mu.Lock()
	s.inflight[account]++
	if s.inflight[account] > 1 {
		s.stats.Overlaps++
		refused = s.overlapCode != "OK"
	}
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.inflight[account]--
		s.mu.Unlock()
	}, refused
}

// sleep waits out the configured latency; false means the client left.
func (s *Server) sleep(r *http.Request) bool {
	if s.latency <= 0 {
		return true
	}
	t := time.NewTimer(s.latency)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// takeFault answers with the next injected fault or a quota rejection. It
// reports whether it answered.
func (s *Server) takeFault(w http.ResponseWriter, r *http.Request, method, account string) bool {
	s.mu.Lock()
	f, ok := s.nextFault()
	if ok {
		s.stats.Faults++
		if f.Reset {
			s.stats.FaultsByStatus[0]++
		} else {
			s.stats.FaultsByStatus[cmp.Or(httpStatus[f.Code], f.Status)]++
		}
		s.mu.Unlock()
		if f.Reset {
			resetConnection(w, r)
			return true
		}
		s.writeFault(w, method, f)
		return true
	}
	// A mutation spends the write quota, and the read quota as well when
	// it asks for the post-mutate read (personFields). get and
	// searchContacts spend the read quota.
	var write, read bool
	switch method {
	case "UpdateContactPhoto":
		write, read = true, r.URL.Query().Get("personFields") != "" || bodyAsksForPerson(r)
	case "DeleteContactPhoto":
		write, read = true, r.URL.Query().Get("personFields") != ""
	default:
		read = true
	}
	now := time.Now()
	if write && !admit(s.writes, account, s.quota, s.window, now) {
		s.stats.QuotaRejections++
		s.mu.Unlock()
		s.quotaExceeded(w, writeQuota, s.quota, 0)
		return true
	}
	if read && !admit(s.reads, account, s.readQuota, s.window, now) {
		s.stats.ReadQuotaRejections++
		s.mu.Unlock()
		s.quotaExceeded(w, readQuota, s.readQuota, 0)
		return true
	}
	s.mu.Unlock()
	return false
}

// admit counts a call against a sliding-window quota of limit calls per
// window, and reports whether the quota had room; a negative limit means
// none. s.mu is held.
func admit(calls map[string][]time.Time, account string, limit int, window time.Duration, now time.Time) bool {
	if limit < 0 {
		return true
	}
	recent := calls[account]
	for len(recent) > 0 && now.Sub(recent[0]) >= window {
		recent = recent[1:]
	}
	if len(recent) >= limit {
		calls[account] = recent
		return false
	}
	calls[account] = append(recent, now)
	return true
}

// bodyAsksForPerson peeks at an updateContactPhoto body for personFields,
// leaving the body readable for the handler.
func bodyAsksForPerson(r *http.Request) bool {
	orig := r.Body
	data, err := io.ReadAll(io.LimitReader(orig, maxBody+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(data), orig), orig}
	if err != nil {
		return false
	}
	var req struct {
		PersonFields string `json:"personFields"`
	}
	return json.Unmarshal(data, &req) == nil && req.PersonFields != ""
}

// nextFault returns the fault to answer a call with: the next queued one,
// else a random draw. s.mu is held.
func (s *Server) nextFault() (Fault, bool) {
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		return f, true
	}
	if len(s.random) == 0 {
		return Fault{}, false
	}
	draw := s.rng.Float64()
	for _, f := range s.random {
		if draw < f.Probability {
			return f.Fault, true
		}
		draw -= f.Probability
	}
	return Fault{}, false
}

// resetConnection drops the TCP connection with a reset, so the client sees
// "connection reset by peer" rather than a clean close.
func resetConnection(w http.ResponseWriter, r *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

type updateRequest struct {
	PhotoBytes   *string  `json:"photoBytes"`
	PersonFields string   `json:"personFields"`
	Sources      []string `json:"sources"`
}

func (s *Server) updateContactPhoto(w http.ResponseWriter, r *http.Request, account, name string) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.invalidArgument(w, "Invalid JSON payload received. Content-Type %q is not application/json.", ct)
		return
	}
	var req updateRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			s.invalidArgument(w, "Request payload size exceeds the limit: %d bytes.", maxBody)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			s.invalidArgument(w, "Invalid JSON payload received. Unknown name %q: Cannot find field.", field)
		case errors.As(err, &ute):
			s.invalidArgument(w, "Invalid value at %q: %s", ute.Field, ute.Value)
		default:
			s.invalidArgument(w, "Invalid JSON payload received. Unexpected token.")
		}
		return
	}
	if dec.More() {
		s.invalidArgument(w, "Invalid JSON payload received. Unexpected token.")
		return
	}
	if msg := checkMask(req.PersonFields); msg != "" {
		s.invalidArgument(w, "%s", msg)
		return
	}
	if msg := checkSources("sources", req.Sources); msg != "" {
		s.invalidArgument(w, "%s", msg)
		return
	}
	if req.PhotoBytes == nil {
		s.invalidArgument(w, "Invalid photo format")
		return
	}
	data, ok := decodeBase64(*req.PhotoBytes)
	if !ok {
		s.invalidArgument(w, "Invalid value at 'photo_bytes' (TYPE_BYTES), Base64 decoding failed for %q", truncate(*req.PhotoBytes, 32))
		return
	}
	format, width, height, ok := checkPhoto(data)
	if !ok {
		s.invalidArgument(w, "Invalid photo format")
		return
	}
	c, ok := s.lookup(w, account, name)
	if !ok {
		return
	}
	u := Update{Account: account, ResourceName: name, Photo: data, Format: format, Width: width, Height: height}
	u.URL = fmt.Sprintf("%s/photos/%d", s.URL, len(s.photos))
	s.photos = append(s.photos, u)
	s.updates = append(s.updates, u)
	c.photo = &u
	c.etag++
	s.stats.Updates++
	resp := s.mutationResponse(c, req.PersonFields)
	s.mu.Unlock()
	writeJSON(w, resp)
}

func (s *Server) deleteContactPhoto(w http.ResponseWriter, r *http.Request, account, name string) {
	mask := r.URL.Query().Get("personFields")
	if msg := checkMask(mask); msg != "" {
		s.invalidArgument(w, "%s", msg)
		return
	}
	c, ok := s.lookup(w, account, name)
	if !ok {
		return
	}
	c.photo = nil
	c.etag++
	s.stats.Deletes++
	resp := s.mutationResponse(c, mask)
	s.mu.Unlock()
	writeJSON(w, resp)
}

// lookup locks s.mu and returns the contact. When there is none it answers
// 404 and leaves s.mu unlocked.
func (s *Server) lookup(w http.ResponseWriter, account, name string) (*contact, bool) {
	s.mu.Lock()
	c, ok := s.contacts[contactKey{account, name}]
	if !ok {
		s.mu.Unlock()
		s.notFound(w)
	}
	return c, ok
}

// mutationResponse is the body of a photo update or delete: the person only
// when personFields asks for the post-mutate read. s.mu is held.
func (s *Server) mutationResponse(c *contact, mask string) map[string]any {
	resp := map[string]any{}
	if mask != "" {
		resp["person"] = s.person(c, mask)
	}
	return resp
}

// ProfileID is the numeric id of an account's own profile, which get
// answers for people/me and people/<ProfileID>.
func ProfileID(account string) string {
	h := uint64(14695981039346656037)
	for i := 0; i < len(account); i++ {
		h = (h ^ uint64(account[i])) * 1099511628211
	}
	return fmt.Sprintf("1%020d", h) // 21 digits, like Google's profile ids
}

// getPerson answers people.get. The field mask comes in personFields or,
// from older clients, in requestMask.includeField with "person." prefixes
// (people/v1 discovery document); one of them is required.
func (s *Server) getPerson(w http.ResponseWriter, r *http.Request, account, id string) {
	q := r.URL.Query()
	mask := q.Get("personFields")
	if include := q.Get("requestMask.includeField"); include != "" {
		if mask != "" {
			s.invalidArgument(w, "Only one of personFields and requestMask.includeField may be set.")
			return
		}
		var fields []string
		for f := range strings.SplitSeq(include, ",") {
			fields = append(fields, strings.TrimPrefix(strings.TrimSpace(f), "person."))
		}
		mask = strings.Join(fields, ",")
	}
	if mask == "" {
		s.invalidArgument(w, "personFields mask is required. Please specify one or more valid paths. Valid paths are documented at https://developers.google.com/people/api/rest/v1/people/get.")
		return
	}
	if msg := checkMask(mask); msg != "" {
		s.invalidArgument(w, "%s", msg)
		return
	}
	if id == "me" || id == ProfileID(account) {
		s.mu.Lock()
		s.stats.Gets++
		s.mu.Unlock()
		writeJSON(w, map[string]any{
			"resourceName": "people/" + ProfileID(account),
			"etag":         "%EgUBAi43PRoEAQIFByIMR0xBWlRhU2pKUXc9",
		})
		return
	}
	if !contactID.MatchString(id) {
		s.notFound(w)
		return
	}
	c, ok := s.lookup(w, account, "people/"+id)
	if !ok {
		return
	}
	s.stats.Gets++
	p := s.person(c, mask)
	s.mu.Unlock()
	writeJSON(w, p)
}

// searchContacts answers from the account's search cache: the contacts as
// they were when it last refreshed, a few seconds after a warm-up request
// (an empty query). "IMPORTANT: Before searching, clients should send a
// warmup request with an empty query to update the cache."
// https://developers.google.com/people/api/rest/v1/people/searchContacts
func (s *Server) searchContacts(w http.ResponseWriter, r *http.Request, account string) {
	q := r.URL.Query()
	mask := q.Get("readMask")
	if mask == "" {
		s.invalidArgument(w, "readMask is required. Please specify one or more valid paths. Valid paths are documented at https://developers.google.com/people/api/rest/v1/people/searchContacts.")
		return
	}
	if msg := checkMask(mask); msg != "" {
		s.invalidArgument(w, "%s", msg)
		return
	}
	if !q.Has("query") {
		s.invalidArgument(w, "query is required.")
		return
	}
	pageSize := 10
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.invalidArgument(w, "Invalid pageSize %q.", v)
			return
		}
		pageSize = min(cmp.Or(n, 10), 30)
	}
	query := q.Get("query")
	s.mu.Lock()
	now := s.now()
	if query == "" {
		s.warmups[account] = append(s.warmups[account], now)
		s.stats.WarmUps++
		s.mu.Unlock()
		writeJSON(w, map[string]any{})
		return
	}
	s.stats.Searches++
	snapshot, cached := s.snapshotTime(account, now)
	var names []string
	stale := false
	for k, c := range s.contacts {
		if k.account != account || !c.matches(query) {
			continue
		}
		if !cached || c.changed.After(snapshot) {
			stale = true
			continue
		}
		names = append(names, k.resourceName)
	}
	if stale {
		s.stats.StaleSearches++
	}
	slices.Sort(names)
	results := []any{}
	for _, n := range names[:min(len(names), pageSize)] {
		results = append(results, map[string]any{"person": s.person(s.contacts[contactKey{account, n}], mask)})
	}
	s.mu.Unlock()
	resp := map[string]any{}
	if len(results) > 0 {
		resp["results"] = results
	}
	writeJSON(w, resp)
}

// SearchCacheRefreshed reports whether the account's search cache has
// refreshed at least once by now: a contact added from then on stays out of
// its searches until the next warm-up and its delay.
func (s *Server) SearchCacheRefreshed(account string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.snapshotTime(account, s.now())
	return ok
}

// snapshotTime is the state of the contacts the account's search cache
// holds at now: the time it last refreshed, cacheDelay after a warm-up.
// false means it never did. s.mu is held.
func (s *Server) snapshotTime(account string, now time.Time) (time.Time, bool) {
	delay := max(s.cacheDelay, 0)
	var snapshot time.Time
	found := false
	for _, w := range s.warmups[account] {
		if t := w.Add(delay); !t.After(now) && (!found || t.After(snapshot)) {
			snapshot, found = t, true
		}
	}
	return snapshot, found
}

// matches reports whether query matches a prefix phrase of one of the
// fields searchContacts looks at: "a person with name "foo name" matches
// queries such as "f", "fo", "foo", "foo n", "nam", etc., but not "oo n"",
// case-insensitively.
// https://developers.google.com/people/api/rest/v1/people/searchContacts
func (c *contact) matches(query string) bool {
	query = strings.ToLower(strings.TrimSpace(query))
	for _, field := range [][]string{c.Names, c.Nicknames, c.Emails, c.Phones, c.Organizations} {
		for _, v := range field {
			v = strings.ToLower(v)
			for i := 0; i < len(v); i++ {
				if (i == 0 || v[i-1] == ' ') && strings.HasPrefix(v[i:], query) {
					return true
				}
			}
		}
	}
	return false
}

// person renders a contact with the fields of mask. s.mu is held.
func (s *Server) person(c *contact, mask string) map[string]any {
	id := strings.TrimPrefix(c.ResourceName, "people/")
	source := map[string]any{"type": "CONTACT", "id": strings.TrimPrefix(id, "c"), "etag": fmt.Sprintf("#%d", c.etag)}
	p := map[string]any{"resourceName": c.ResourceName, "etag": fmt.Sprintf("%%Eg%s%d", id, c.etag)}
	values := func(field string, key string, vs []string) {
		var out []any
		for i, v := range vs {
			out = append(out, map[string]any{
				"metadata": map[string]any{"primary": i == 0, "source": source},
				key:        v,
			})
		}
		if out != nil {
			p[field] = out
		}
	}
	for f := range strings.SplitSeq(mask, ",") {
		switch f {
		case "emailAddresses":
			values(f, "value", c.Emails)
		case "names":
			values(f, "displayName", c.Names)
		case "nicknames":
			values(f, "value", c.Nicknames)
		case "phoneNumbers":
			values(f, "value", c.Phones)
		case "organizations":
			values(f, "name", c.Organizations)
		case "photos":
			if c.photo != nil {
				p["photos"] = []any{map[string]any{
					"metadata": map[string]any{"primary": true, "source": source},
					"url":      c.photo.URL,
				}}
			} else {
				p["photos"] = []any{map[string]any{
					"metadata": map[string]any{"primary": true, "source": source},
					"url":      s.URL + "/photos/default",
					"default":  true,
				}}
			}
		}
	}
	return p
}

func (s *Server) servePhoto(w http.ResponseWriter, index string) {
	i, err := strconv.Atoi(index)
	s.mu.Lock()
	var u *Update
	if err == nil && i >= 0 && i < len(s.photos) {
		u = &s.photos[i]
	}
	s.mu.Unlock()
	if u == nil {
		http.NotFound(w, nil)
		return
	}
	w.Header().Set("Content-Type", "image/"+u.Format)
	w.Write(u.Photo)
}

// maskFields are the paths a person field mask may name. The client keeps
// its own copy on purpose: the stand-in is there to check the client.
var maskFields = []string{
	"addresses", "ageRanges", "biographies", "birthdays", "calendarUrls", "clientData", "coverPhotos",
	"emailAddresses", "events", "externalIds", "genders", "imClients", "interests", "locales", "locations",
	"memberships", "metadata", "miscKeywords", "names", "nicknames", "occupations", "organizations",
	"phoneNumbers", "photos", "relations", "sipAddresses", "skills", "urls", "userDefined",
}

// checkMask returns the API's complaint about a field mask, or "".
func checkMask(mask string) string {
	if mask == "" {
		return ""
	}
	for f := range strings.SplitSeq(mask, ",") {
		if !slices.Contains(maskFields, f) {
			return fmt.Sprintf("Invalid personFields mask path: %q. Valid paths are documented at https://developers.google.com/people/api/rest/v1/people/get.", f)
		}
	}
	return ""
}

// decodeBase64 accepts the encodings Google's JSON mapping of bytes accepts:
// standard or URL-safe alphabet, padded or not.
func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// maxPhotoPixels bounds the decode of an uploaded photo.
const maxPhotoPixels = 50_000_000

// checkPhoto accepts a complete JPEG or PNG image.
func checkPhoto(data []byte) (format string, width, height int, ok bool) {
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		format = "jpeg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		format = "png"
	default:
		return "", 0, 0, false
	}
	cfg, f, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || f != format || cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxPhotoPixels {
		return "", 0, 0, false
	}
	// A full decode catches truncated or corrupt image data.
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		return "", 0, 0, false
	}
	return format, cfg.Width, cfg.Height, true
}

func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Write(body)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// listConnections answers people.connections.list: the account's contacts
// in pages of pageSize (1 to 1000, default 100), ordered by resource name
// here; the page token is opaque to the client.
// https://developers.google.com/people/api/rest/v1/people.connections/list
func (s *Server) listConnections(w http.ResponseWriter, r *http.Request, account string) {
	q := r.URL.Query()
	mask := q.Get("personFields")
	if mask == "" {
		s.invalidArgument(w, "personFields mask is required. Please specify one or more valid paths. Valid paths are documented at https://developers.google.com/people/api/rest/v1/people.connections/list.")
		return
	}
	if msg := checkMask(mask); msg != "" {
		s.invalidArgument(w, "%s", msg)
		return
	}
	size := 100
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.invalidArgument(w, "pageSize must be between 1 and 1000, got %q", v)
			return
		}
		size = n
	}
	start := 0
	if v := q.Get("pageToken"); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(v, "page-"))
		if err != nil || n < 0 || !strings.HasPrefix(v, "page-") {
			s.invalidArgument(w, "Invalid pageToken.")
			return
		}
		start = n
	}
	s.mu.Lock()
	var all []*contact
	for k, c := range s.contacts {
		if k.account == account {
			all = append(all, c)
		}
	}
	slices.SortFunc(all, func(a, b *contact) int { return strings.Compare(a.ResourceName, b.ResourceName) })
	resp := map[string]any{"totalItems": len(all), "totalPeople": len(all)}
	var page []any
	for i := start; i < len(all) && i < start+size; i++ {
		page = append(page, s.person(all[i], mask))
	}
	s.stats.Gets++
	s.mu.Unlock()
	if page != nil {
		resp["connections"] = page
	}
	if start+size < len(all) {
		resp["nextPageToken"] = fmt.Sprintf("page-%d", start+size)
	}
	writeJSON(w, resp)
}
