package people

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/time/rate"
	"google.golang.org/api/option"
	peopleapi "google.golang.org/api/people/v1"
)

// DefaultWritesPerMinute is the client-side pace of photo writes per account.
// Google's per-user write quota is around 50 to 60 a minute (the exact figure
// is on each project's quota page); staying under it avoids 429s entirely.
const DefaultWritesPerMinute = 50

// The search cache of searchContacts: "Before searching, clients should
// send a warmup request with an empty query to update the cache"
// (https://developers.google.com/people/api/rest/v1/people/searchContacts),
// and Google's guide sends the search after several seconds
// (https://developers.google.com/people/v1/contacts#search_the_users_contacts).
const (
	// DefaultSearchDelay is how long a lookup waits after a warm-up before
	// it searches.
	DefaultSearchDelay = 5 * time.Second
	// DefaultLookupBudget bounds one email lookup, warm-ups and waits
	// included, before a contact that was not found is called missing.
	DefaultLookupBudget = 15 * time.Second
)

// Clock tells the time and waits. The Client waits through it for the
// search cache; tests pass a fake one so that those waits cost no time.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, and returns ctx's error then.
	Sleep(ctx context.Context, d time.Duration) error
}

// realClock is the Clock of time.Now and timers.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Operation names, used in errors and logs.
const (
	opUpdate  = "update photo"
	opDelete  = "delete photo"
	opResolve = "resolve contact"
)

// TokenSources gives the OAuth token source of an account. The account ""
// is the default account.
type TokenSources interface {
	TokenSource(ctx context.Context, account string) (oauth2.TokenSource, error)
}

// Options configures a Client. The zero value is ready to use.
type Options struct {
	// Endpoint is the base URL of the People API, such as
	// "http://127.0.0.1:1234/"; "" means Google's.
	Endpoint string
	// WritesPerMinute is the client-side limit of photo writes per account;
	// 0 means DefaultWritesPerMinute.
	WritesPerMinute int
	// PersonFields is the personFields mask of updateContactPhoto. "" (the
	// default) skips the post-mutate read, which costs read quota; "photos"
	// returns the new photo URL in Photo.URL.
	PersonFields string
	// HTTPClient is the base client whose Transport carries the requests;
	// nil means http.DefaultTransport. Its Timeout, if any, applies to each
	// attempt.
	HTTPClient *http.Client
	// Logger receives retry and resolution notes; nil means slog.Default().
	Logger *slog.Logger
	// Clock is what email lookups wait with for the search cache; nil
	// means real time.
	Clock Clock
}

// Photo is the outcome of a photo update.
type Photo struct {
	// ResourceName is the contact that was updated. It differs from the one
	// asked for when UpdatePhotoByRef found the contact again by email.
	ResourceName string
	// URL is the new photo's URL, only when Options.PersonFields includes
	// "photos".
	URL string
}

// Client updates contact photos through the People API. It keeps per-account
// state (one mutation in flight, a rate limiter, resolved emails), so create
// one Client per process and share it; it is safe for concurrent use.
type Client struct {
	tokens       TokenSources
	endpoint     string
	personFields string
	writes       int
	base         http.RoundTripper
	timeout      time.Duration
	log          *slog.Logger

	// Tunables. Tests shrink them; production uses the defaults from New.
	ratePeriod  time.Duration // the period writes are counted over
	backoffBase time.Duration // first retry waits up to this long
	backoffMax  time.Duration // cap of the exponential backoff
	maxAttempts int           // attempts per call, so a call without deadline still ends
	resolveTTL  time.Duration // how long an email resolution is reused
	clock       Clock         // the search cache's waits
	searchDelay time.Duration // wait after a warm-up before searching
	lookupLimit time.Duration // bound of one email lookup

	mu       sync.Mutex
	accounts map[string]*accountState
}

// accountState is what the Client keeps for one account.
type accountState struct {
	name string
	// slot holds a token while a mutation for the account is in flight:
	// the API asks for sequential mutations per user.
	slot    chan struct{}
	queued  atomic.Int64 // mutations holding or waiting for slot
	limiter *rate.Limiter

	svcMu sync.Mutex
	svc   *peopleapi.Service

	warmMu   sync.Mutex
	warmedAt time.Time // when the latest warm-up was sent, by c.clock; zero: never

	cacheMu  sync.Mutex
	resolved map[string]resolution // lower-cased email -> contact
}

type resolution struct {
	resourceName string
	expires      time.Time
}

// New returns a Client that gets each account's tokens from tokens.
// A nil opt means the defaults.
func New(tokens TokenSources, opt *Options) (*Client, error) {
	if tokens == nil {
		return nil, errors.New("people: no token sources")
	}
	if opt == nil {
		opt = &Options{}
	}
	c := &Client{
		tokens:       tokens,
		personFields: opt.PersonFields,
		writes:       cmp.Or(opt.WritesPerMinute, DefaultWritesPerMinute),
		log:          cmp.Or(opt.Logger, slog.Default()),
		ratePeriod:   time.Minute,
		backoffBase:  500 * time.Millisecond,
		backoffMax:   16 * time.Second,
		maxAttempts:  8,
		resolveTTL:   5 * time.Minute,
		clock:        opt.Clock,
		searchDelay:  DefaultSearchDelay,
		lookupLimit:  DefaultLookupBudget,
		accounts:     make(map[string]*accountState),
	}
	if c.clock == nil {
		c.clock = realClock{}
	}
	if opt.WritesPerMinute < 0 {
		return nil, fmt.Errorf("people: writes per minute is %d; want a positive number", opt.WritesPerMinute)
	}
	if opt.Endpoint != "" {
		u, err := url.Parse(opt.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("people: endpoint %q is not an http(s) URL", opt.Endpoint)
		}
		// The generated client resolves "v1/..." against the endpoint, which
		// drops a last path segment without a trailing slash.
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		c.endpoint = u.String()
	}
	if err := checkPersonFields(opt.PersonFields); err != nil {
		return nil, err
	}
	if opt.HTTPClient != nil {
		c.base = opt.HTTPClient.Transport
		c.timeout = opt.HTTPClient.Timeout
	}
	return c, nil
}

// personFieldNames are the valid paths of a personFields mask.
var personFieldNames = []string{
	"addresses", "ageRanges", "biographies", "birthdays", "calendarUrls", "clientData", "coverPhotos",
	"emailAddresses", "events", "externalIds", "genders", "imClients", "interests", "locales", "locations",
	"memberships", "metadata", "miscKeywords", "names", "nicknames", "occupations", "organizations",
	"phoneNumbers", "photos", "relations", "sipAddresses", "skills", "urls", "userDefined",
}

func checkPersonFields(mask string) error {
	if mask == "" {
		return nil
	}
	for f := range strings.SplitSeq(mask, ",") {
		if !slices.Contains(personFieldNames, f) {
			return fmt.Errorf("people: person field %q is not one of %s", f, strings.Join(personFieldNames, ", "))
		}
	}
	return nil
}

// interval is the spacing of writes for one account.
func (c *Client) interval() time.Duration { return c.ratePeriod / time.Duration(c.writes) }

// account returns the state of an account, creating it on first use.
func (c *Client) account(name string) *accountState {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.accounts[name]
	if a == nil {
		a = &accountState{
			name: name,
			slot: make(chan struct{}, 1),
			// A burst of 1 spreads writes evenly: any window of the
			// period then holds at most `writes` of them, whatever the
			// server's window alignment.
			limiter:  rate.NewLimiter(rate.Every(c.interval()), 1),
			resolved: make(map[string]resolution),
		}
		c.accounts[name] = a
	}
	return a
}

// service returns the account's People API service, building it on first
// success. Failures are not cached: a transient token error must not stick.
func (c *Client) service(ctx context.Context, a *accountState) (*peopleapi.Service, error) {
	a.svcMu.Lock()
	defer a.svcMu.Unlock()
	if a.svc != nil {
		return a.svc, nil
	}
	ts, err := c.tokens.TokenSource(ctx, a.name)
	if err != nil {
		return nil, err
	}
	// option.WithHTTPClient sends no credentials by itself: the account's
	// token goes in through oauth2.Transport. Under it, refusedTokens sees
	// the token each request carried and drops it when the API answers 401.
	hc := &http.Client{Transport: &oauth2.Transport{Source: ts, Base: &refusedTokens{base: c.base, tokens: ts}}, Timeout: c.timeout}
	opts := []option.ClientOption{
		option.WithHTTPClient(hc),
		// The library's debug log would print request bodies, which hold
		// the photo bytes; this package logs what matters itself.
		option.WithLogger(slog.New(slog.DiscardHandler)),
	}
	if c.endpoint != "" {
		opts = append(opts, option.WithEndpoint(c.endpoint))
	}
	svc, err := peopleapi.NewService(context.WithoutCancel(ctx), opts...)
	if err != nil {
		return nil, err
	}
	a.svc = svc
	return svc, nil
}

// TokenInvalidator is implemented by token sources that cache access tokens
// and can drop one the API refused, so that the next Token fetches a new
// one; the tokens package's sources do.
type TokenInvalidator interface {
	InvalidateToken(accessToken string)
}

// refusedTokens tells the token source about access tokens the API answers
// 401 to. It sits under oauth2.Transport, where requests carry the token.
type refusedTokens struct {
	base   http.RoundTripper
	tokens oauth2.TokenSource
}

func (t *refusedTokens) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		if inv, ok := t.tokens.(TokenInvalidator); ok {
			if scheme, tok, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
				inv.InvalidateToken(tok)
			}
		}
	}
	return resp, err
}

// UpdatePhoto sets the photo of the contact resourceName ("people/c<digits>"
// or "c<digits>") to jpeg, a JPEG or PNG image. Mutations for one account
// run one at a time, paced by the account's rate limiter, and are retried on
// 429, 5xx and connection resets until the context's deadline.
func (c *Client) UpdatePhoto(ctx context.Context, account, resourceName string, jpeg []byte) (*Photo, error) {
	name, err := c.checkResourceName(opUpdate, account, resourceName)
	if err != nil {
		return nil, err
	}
	if len(jpeg) == 0 {
		return nil, &Error{Kind: InvalidPhoto, Op: opUpdate, Account: account, Contact: name, detail: "the photo is empty"}
	}
	a := c.account(account)
	svc, err := c.service(ctx, a)
	if err != nil {
		return nil, classify(opUpdate, account, name, err)
	}
	// Encode before queueing so the account's turn is spent on the call only.
	req := &peopleapi.UpdateContactPhotoRequest{
		PhotoBytes:   base64.StdEncoding.EncodeToString(jpeg),
		PersonFields: c.personFields,
	}
	var resp *peopleapi.UpdateContactPhotoResponse
	err = c.mutate(ctx, a, opUpdate, name, func(ctx context.Context) (err error) {
		resp, err = svc.People.UpdateContactPhoto(name, req).Context(ctx).Do()
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Photo{ResourceName: name, URL: photoURL(resp.Person)}, nil
}

// DeletePhoto removes the photo of the contact resourceName, with the same
// sequencing, pacing and retries as UpdatePhoto.
func (c *Client) DeletePhoto(ctx context.Context, account, resourceName string) error {
	name, err := c.checkResourceName(opDelete, account, resourceName)
	if err != nil {
		return err
	}
	a := c.account(account)
	svc, err := c.service(ctx, a)
	if err != nil {
		return classify(opDelete, account, name, err)
	}
	return c.mutate(ctx, a, opDelete, name, func(ctx context.Context) error {
		_, err := svc.People.DeleteContactPhoto(name).Context(ctx).Do()
		return err
	})
}

// UpdatePhotoByRef resolves ref, then updates the photo like UpdatePhoto.
// A contact's resource name can change when it is linked to a profile, so
// when the API answers 404 and an email is known (fallbackEmail, else
// ref.Email), it looks the email up again, bypassing the resolution cache,
// and retries once with the contact found. fallbackEmail is typically the
// object's "email" metadata; "" means none.
func (c *Client) UpdatePhotoByRef(ctx context.Context, account string, ref ContactRef, fallbackEmail string, jpeg []byte) (*Photo, error) {
	if fallbackEmail != "" {
		if fb, reason := parseContactRef(fallbackEmail); reason != "" || fb.Email == "" {
			return nil, &Error{Kind: InvalidContact, Op: opResolve, Account: account, Contact: fallbackEmail,
				detail: "the fallback email is not a plain email address such as alice@example.com"}
		}
	}
	name, err := c.Resolve(ctx, account, ref)
	if err != nil {
		return nil, err
	}
	photo, err := c.UpdatePhoto(ctx, account, name, jpeg)
	email := cmp.Or(fallbackEmail, ref.Email)
	if e, ok := errors.AsType[*Error](err); !ok || e.Kind != ContactNotFound || email == "" {
		return photo, err
	}
	fresh, rerr := c.resolveEmail(ctx, account, email, true)
	if rerr != nil {
		return nil, rerr
	}
	if fresh == name {
		return nil, err
	}
	c.log.InfoContext(ctx, "contact resource name changed; updating the contact found by email",
		"account", account, "old", name, "new", fresh, "email", email)
	return c.UpdatePhoto(ctx, account, fresh, jpeg)
}

// checkResourceName validates and canonicalizes a resource name before it
// goes into a request path, which the generated client does not escape.
func (c *Client) checkResourceName(op, account, resourceName string) (string, error) {
	ref, reason := parseContactRef(resourceName)
	if reason == "" && ref.ResourceName == "" {
		reason = "an email address is not a resource name; resolve it with Resolve first"
	}
	if reason != "" {
		return "", &Error{Kind: InvalidContact, Op: op, Account: account, Contact: resourceName, Err: errorString(reason)}
	}
	return ref.ResourceName, nil
}

// photoURL picks the contact's own photo from a person returned by the API.
func photoURL(p *peopleapi.Person) string {
	if p == nil {
		return ""
	}
	var fallback string
	for _, ph := range p.Photos {
		if ph == nil || ph.Url == "" {
			continue
		}
		if !ph.Default && ph.Metadata != nil && ph.Metadata.Source != nil && ph.Metadata.Source.Type == "CONTACT" {
			return ph.Url
		}
		if fallback == "" && !ph.Default {
			fallback = ph.Url
		}
	}
	return fallback
}

// mutate runs call as the account's only mutation in flight, paced by its
// limiter and retried as retry does.
func (c *Client) mutate(ctx context.Context, a *accountState, op, contact string, call func(context.Context) error) error {
	ahead := a.queued.Add(1) - 1
	defer a.queued.Add(-1)
	// Fail early when the queue alone cannot drain before the deadline: each
	// write ahead needs a limiter slot, and waiting only to time out would
	// hold up the event for nothing.
	if dl, ok := ctx.Deadline(); ok && ahead > 1 {
		earliest := time.Duration(ahead-1) * c.interval()
		if time.Until(dl) < earliest {
			return &Error{Kind: QuotaExhausted, Op: op, Account: a.name, Contact: contact,
				detail: fmt.Sprintf("%d writes are queued ahead for this account; at %d writes per minute this one cannot start before the deadline; retry later", ahead, c.writes)}
		}
	}
	select {
	case a.slot <- struct{}{}:
	case <-ctx.Done():
		return &Error{Kind: Unavailable, Op: op, Account: a.name, Contact: contact, Err: ctx.Err(),
			detail: "gave up waiting for this account's earlier writes: " + ctx.Err().Error()}
	}
	defer func() { <-a.slot }()
	return c.retry(ctx, a, op, contact, call)
}

// retry runs call until it succeeds, fails for good, or the next attempt
// could not start before the context's deadline. Writes (a != nil) wait for
// the account's limiter before every attempt, as each attempt spends quota.
func (c *Client) retry(ctx context.Context, a *accountState, op, contact string, call func(context.Context) error) error {
	account := ""
	if a != nil {
		account = a.name
	}
	renewed := false
	for attempt := 1; ; attempt++ {
		if a != nil {
			if err := a.limiter.Wait(ctx); err != nil {
				if ctx.Err() != nil {
					return classify(op, account, contact, ctx.Err())
				}
				return &Error{Kind: QuotaExhausted, Op: op, Account: account, Contact: contact, Err: err,
					detail: fmt.Sprintf("the client-side limit of %d writes per minute for this account has no free slot before the deadline; retry later", c.writes)}
			}
		}
		err := call(ctx)
		if err == nil {
			return nil
		}
		e := classify(op, account, contact, err)
		if e.renew && !renewed {
			// The refused token is dropped already (refusedTokens); the
			// next attempt carries a new one. Only a token refused right
			// after its renewal is a lasting failure.
			renewed = true
			c.log.InfoContext(ctx, "People API refused the access token; retrying once with a new one",
				"op", op, "account", account, "contact", contact, "reason", e.Reason)
			continue
		}
		if !e.renew {
			// Only two 401s in a row mean the new token is refused too; a
			// 401 after another failure is a later expiry, renewed again.
			renewed = false
		}
		if !e.retry {
			return e
		}
		delay := c.backoff(attempt, e.retryAfter)
		if dl, ok := ctx.Deadline(); attempt >= c.maxAttempts || ok && time.Until(dl) < delay {
			e.detail += fmt.Sprintf(" (gave up after %d attempts)", attempt)
			return e
		}
		c.log.WarnContext(ctx, "People API call failed; retrying",
			"op", op, "account", account, "contact", contact, "attempt", attempt,
			"status", e.Status, "kind", e.Kind.String(), "delay", delay.String())
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			e.detail += fmt.Sprintf(" (gave up after %d attempts)", attempt)
			return e
		}
	}
}

// backoff is exponential with full jitter, and never shorter than the
// server's Retry-After.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	ceiling := c.backoffMax
	if shift := attempt - 1; shift < 30 {
		ceiling = min(c.backoffMax, c.backoffBase<<shift)
	}
	d := rand.N(ceiling + 1)
	return max(d, retryAfter)
}

// Resolve returns the resource name of ref. A resource name is returned as
// is (canonicalized); an email address is looked up with searchContacts and
// must match exactly one contact, ignoring case. Results are cached for a
// few minutes per account.
func (c *Client) Resolve(ctx context.Context, account string, ref ContactRef) (string, error) {
	switch {
	case ref.ResourceName != "" && ref.Email != "":
		return "", &Error{Kind: InvalidContact, Op: opResolve, Account: account, Contact: ref.ResourceName,
			detail: "a contact reference has both a resource name and an email address"}
	case ref.ResourceName != "":
		return c.checkResourceName(opResolve, account, ref.ResourceName)
	}
	parsed, reason := parseContactRef(ref.Email)
	if reason == "" && parsed.Email == "" {
		reason = "not an email address"
	}
	if reason != "" {
		return "", &Error{Kind: InvalidContact, Op: opResolve, Account: account, Contact: ref.Email, Err: errorString(reason)}
	}
	return c.resolveEmail(ctx, account, ref.Email, false)
}

// resolveEmail finds the one contact with the email address. fresh skips the
// cache, for when a cached resource name turned out to be stale.
func (c *Client) resolveEmail(ctx context.Context, account, email string, fresh bool) (string, error) {
	a := c.account(account)
	key := strings.ToLower(email)
	if !fresh {
		a.cacheMu.Lock()
		r, ok := a.resolved[key]
		a.cacheMu.Unlock()
		if ok && time.Now().Before(r.expires) {
			return r.resourceName, nil
		}
	}
	svc, err := c.service(ctx, a)
	if err != nil {
		return "", classify(opResolve, account, email, err)
	}
	matches, err := c.search(ctx, a, svc, email, fresh)
	if err != nil {
		return "", err
	}
	if len(matches) > 1 {
		return "", &Error{Kind: AmbiguousContact, Op: opResolve, Account: account, Contact: email, Candidates: matches,
			detail: fmt.Sprintf("%d contacts have the email address %s (%s); name the contact by resource name instead", len(matches), email, strings.Join(matches, ", "))}
	}
	a.cacheMu.Lock()
	a.resolved[key] = resolution{resourceName: matches[0], expires: time.Now().Add(c.resolveTTL)}
	a.cacheMu.Unlock()
	return matches[0], nil
}

// search looks the email up with searchContacts, through the API's search
// cache. A search sees the contacts as they were a few seconds after the
// latest warm-up request, so a lookup warms the cache up (unless a warm-up
// is recent enough), waits, and searches; on a miss it warms up again and
// retries, until the lookup's budget (DefaultLookupBudget) is spent. Only
// then is the contact missing. fresh wants a warm-up sent after the lookup
// began, for when a cached answer turned out stale.
// https://developers.google.com/people/api/rest/v1/people/searchContacts
// https://developers.google.com/people/v1/contacts#search_the_users_contacts
func (c *Client) search(ctx context.Context, a *accountState, svc *peopleapi.Service, email string, fresh bool) ([]string, error) {
	start := c.clock.Now()
	deadline := start.Add(c.lookupLimit)
	var notBefore time.Time // the warm-up must be sent at or after this
	if fresh {
		notBefore = start
	}
	for round := 1; ; round++ {
		warmed, err := c.warmUp(ctx, a, svc, email, notBefore)
		if err != nil {
			return nil, err
		}
		if wait := warmed.Add(c.searchDelay).Sub(c.clock.Now()); wait > 0 {
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
				return nil, &Error{Kind: Unavailable, Op: opResolve, Account: a.name, Contact: email,
					detail: "the deadline comes before the People API's search cache has refreshed; retry later"}
			}
			if err := c.clock.Sleep(ctx, wait); err != nil {
				return nil, classify(opResolve, a.name, email, err)
			}
		}
		searched := c.clock.Now()
		var resp *peopleapi.SearchResponse
		err = c.retry(ctx, nil, opResolve, email, func(ctx context.Context) (err error) {
			resp, err = svc.People.SearchContacts().Query(email).ReadMask("emailAddresses").PageSize(30).Context(ctx).Do()
			return err
		})
		if err != nil {
			return nil, err
		}
		if matches := exactMatches(resp, email); len(matches) > 0 {
			return matches, nil
		}
		// A contact added or changed since the cache last refreshed is not
		// in it yet: refresh it and look again while the budget allows. The
		// first miss always earns one refresh, however long the first round
		// took (pacing, retries): only a search made after a warm-up sent
		// since the first miss can tell that the contact is missing.
		if round > 1 && c.clock.Now().Add(c.searchDelay).After(deadline) {
			return nil, &Error{Kind: ContactNotFound, Op: opResolve, Account: a.name, Contact: email,
				detail: fmt.Sprintf("no contact has the email address %s (searched %d times over %s, refreshing the search cache each time); add it to the contact or name the contact by resource name",
					email, round, c.clock.Now().Sub(start).Round(time.Second))}
		}
		c.log.InfoContext(ctx, "no contact found by email yet; refreshing the search cache and searching again",
			"account", a.name, "email", email, "round", round)
		notBefore = searched
	}
}

// exactMatches are the contacts of a search answer that have the email
// address: the search matches prefixes, and only the exact address counts,
// ignoring case.
func exactMatches(resp *peopleapi.SearchResponse, email string) []string {
	var matches []string
	for _, r := range resp.Results {
		if r == nil || r.Person == nil || r.Person.ResourceName == "" {
			continue
		}
		for _, addr := range r.Person.EmailAddresses {
			if addr != nil && strings.EqualFold(addr.Value, email) {
				if !slices.Contains(matches, r.Person.ResourceName) {
					matches = append(matches, r.Person.ResourceName)
				}
				break
			}
		}
	}
	return matches
}

// warmUp makes sure the account's search cache was asked to refresh at or
// after notBefore (the zero time: ever), sending the empty-query search
// when it was not, and returns when the latest warm-up was answered.
// Concurrent lookups of one account share warm-ups.
//
// The time kept is the answer's, not the first attempt's: after a 503 and
// a backoff of seconds, the warm-up that took effect is the retried one,
// and the search cache refreshes a few seconds after that. Searching a few
// seconds after the first attempt met the cache before it refreshed.
func (c *Client) warmUp(ctx context.Context, a *accountState, svc *peopleapi.Service, email string, notBefore time.Time) (time.Time, error) {
	a.warmMu.Lock()
	defer a.warmMu.Unlock()
	if !a.warmedAt.IsZero() && !a.warmedAt.Before(notBefore) {
		return a.warmedAt, nil
	}
	err := c.retry(ctx, nil, opResolve, email, func(ctx context.Context) error {
		_, err := svc.People.SearchContacts().Query("").ReadMask("emailAddresses").Context(ctx).Do()
		return err
	})
	if err != nil {
		return time.Time{}, err
	}
	a.warmedAt = c.clock.Now()
	return a.warmedAt, nil
}
