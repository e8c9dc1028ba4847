// Package people sets contact photos through the Google People API
// (google.golang.org/api/people/v1), in a way that bulk uploads survive.
//
// The API asks that mutations for one user be sent one at a time, limits
// photo writes to roughly 50 to 60 a minute per user, and its generated Go
// client never retries. A Client therefore keeps, per account:
//
//   - one mutation in flight at a time across the process (callers queue;
//     their other work, such as image processing, goes on in parallel);
//   - a rate limiter of Options.WritesPerMinute (DefaultWritesPerMinute)
//     spreading writes evenly, so a burst is paced instead of answered with
//     429s. When the queue or the limiter cannot give a turn before the
//     context's deadline, the call fails at once with a transient error
//     instead of timing out half-way through;
//   - retries of 429, 5xx, connection resets and of writes refused with
//     FAILED_PRECONDITION or ABORTED (what the API answers a write that
//     overlaps another for the user, from another instance say), with
//     exponential backoff and full jitter, never sooner than Retry-After and
//     never past the deadline. Errors are told apart by the answer's
//     canonical "status" and google.rpc.ErrorInfo reason, not by the HTTP
//     code alone, which Google shares among several statuses;
//   - on a 401, one more attempt with a new access token: the token source
//     is told to drop the refused one when it implements TokenInvalidator.
//     Only invalid_grant from the token endpoint means the grant is gone;
//   - the email resolutions of Resolve, cached for a few minutes.
//
// Resource names are validated before they reach a request path: the
// generated client sends "people/../x" verbatim.
//
// Create one Client per process and share it: the guarantees above hold
// within one Client. Instances of a function don't coordinate, so to keep a
// bulk upload clear of 429s either cap the function at one instance or set
// WritesPerMinute to the quota divided by the number of instances.
//
// # Contacts
//
// ParseContactRef reads a contact from object metadata ("people/c123",
// "c123" or an email address) and ContactRefFromFilename from an object name
// ("c123.jpg", "alice@example.com.png"). Other contacts (otherContacts/…)
// and profiles (people/<digits>) are refused before any call, saying what
// to do: updateContactPhoto takes contacts only.
//
// Resolve turns an email into a resource name with searchContacts: only
// exact, case-insensitive matches count, since the search matches
// prefixes. searchContacts answers from a cache that a warm-up request (an
// empty query) refreshes after a few seconds, so a lookup warms up, waits
// DefaultSearchDelay and searches; on a miss it warms up again and
// searches again, and only after DefaultLookupBudget is the contact
// missing. Options.Clock lets tests make those waits cost nothing.
//
// A contact's resource name can change when it is linked to a profile.
// UpdatePhotoByRef covers that: on 404 it looks the contact up again by
// email, bypassing the cache, and retries once.
//
// # Errors
//
// Every error of the Client's methods and of the parsers is an *Error (New
// alone returns plain configuration errors). Its Kind is one of a closed set,
// and its Permanent method tells the caller whether to acknowledge the event
// (permanent) or ask for a redelivery (transient):
//
//	InvalidContact    permanent  malformed contact reference
//	ContactNotFound   permanent  404, or no contact has the email
//	AmbiguousContact  permanent  several contacts have the email (see Candidates)
//	InvalidPhoto      permanent  INVALID_ARGUMENT about the photo: not a JPEG or PNG the API accepts
//	PermissionDenied  permanent  PERMISSION_DENIED: e.g. the token lacks the contacts scope
//	APIDisabled       permanent  PERMISSION_DENIED, SERVICE_DISABLED: names the API and the console URL to enable it
//	AuthRevoked       permanent  invalid_grant from the token endpoint: run `contactphoto authorize`
//	Unauthenticated   permanent  401 again for a freshly fetched access token
//	Misconfigured     permanent  a 4xx that is not the API's JSON (an HTML 404): check PEOPLE_API_ENDPOINT
//	Rejected          permanent  any other refusal, with the API's own message
//	QuotaExhausted    transient  RESOURCE_EXHAUSTED after retries, naming the read or the write quota,
//	                             or no rate-limit slot before the deadline
//	Unavailable       transient  5xx, network failure, overlapping writes after retries, deadline,
//	                             token endpoint down
//
// Errors of the token source keep their own decision when they implement
// Permanent() bool; a revoked refresh token (*oauth2.RetrieveError with
// "invalid_grant") is AuthRevoked. Messages say what to do and never contain
// tokens or photo bytes, nor the raw answer of a token endpoint.
package people
