package contactphoto

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"

	"github.com/contactphoto/contactphoto/internal/cloudlog"
	"github.com/contactphoto/contactphoto/internal/membudget"
	"github.com/contactphoto/contactphoto/people"
	"github.com/contactphoto/contactphoto/tokens"
)

// UpdateContactPhotoWebhook is the HTTP entry point: the same pipeline as
// UpdateContactPhoto, for senders that are not a bucket. A POST whose body
// is signed with the key in WEBHOOK_SECRET (see SignatureHeader and Sign)
// either re-runs a stored object, sets a contact's photo from the request,
// or deletes a contact's photo. Every answer is JSON; errors are
// {"error":{"code":N,"reason":"…","message":"…"}}.
func UpdateContactPhotoWebhook(w http.ResponseWriter, r *http.Request) {
	p, err := defaultPipeline()
	if err != nil {
		// The configuration is not the caller's business: it goes to the log.
		cloudlog.New(os.Stdout, slog.LevelInfo).Error("contactphoto cannot start: "+err.Error(),
			cloudlog.ErrorReport(DefaultService, "", 0))
		writeWebhookError(w, &webhookError{status: http.StatusInternalServerError, reason: "misconfigured",
			message: "the function is misconfigured; its log says how"})
		return
	}
	p.HandleWebhook(w, r)
}

// webhookDeadline bounds a webhook request, within any deadline the
// platform sets. A sender waits for the answer, so a request that cannot get
// a People API slot soon is better answered 503 with Retry-After than held.
const webhookDeadline = 60 * time.Second

// The forms of webhook request.
const (
	formRerun  = "rerun"
	formSet    = "set"
	formDelete = "delete"
)

// webhookRequest is a request, whatever its body's encoding.
type webhookRequest struct {
	form string

	// formRerun
	bucket, name string
	generation   int64 // 0: the live generation

	// formSet, formDelete
	contact people.ContactRef
	account string
	photo   []byte

	mem *membudget.Lease // holds the body, and so the photo
}

// webhookResponse is the body of a successful answer.
type webhookResponse struct {
	ResourceName string        `json:"resourceName"`
	Status       string        `json:"status"` // "updated" or "deleted"
	Photo        *photoSummary `json:"photo,omitempty"`
	PhotoURL     string        `json:"photoUrl,omitempty"`
}

type photoSummary struct {
	Width  int  `json:"width"`
	Height int  `json:"height"`
	Bytes  int  `json:"bytes"`
	Face   bool `json:"face"`
}

// HandleWebhook serves one webhook request. Requests are checked from the
// cheapest refusal to the dearest: method, signature header, declared
// length and content type before the body is read; the signature before
// the body is parsed; the request's own fields before any call.
func (p *Pipeline) HandleWebhook(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.Context(), webhookDeadline)
	defer cancel()
	log := p.log.With("webhook", r.Method+" "+r.URL.Path)
	req, resp, err := p.webhook(ctx, w, r)
	if req != nil {
		log = log.With(req.logAttrs()...)
	}
	if err != nil {
		we := classifyWebhookError(err)
		we.message = truncate(we.message, maxEchoBytes)
		writeWebhookError(w, we)
		p.logWebhookError(log, we, err, start)
		return
	}
	writeJSON(w, http.StatusOK, resp)
	log.Info("webhook: photo "+resp.Status, "status", http.StatusOK, "resourceName", resp.ResourceName,
		"durationMs", time.Since(start).Milliseconds())
}

func (req *webhookRequest) logAttrs() []any {
	attrs := []any{"form", req.form}
	if req.form == formRerun {
		return append(attrs, "bucket", req.bucket, "object", req.name, "generation", req.generation)
	}
	attrs = append(attrs, "contact", req.contact.String(), "account", req.account)
	if req.photo != nil {
		attrs = append(attrs, "photoSize", len(req.photo))
	}
	return attrs
}

// webhook authenticates and runs one request. It returns the parsed
// request, when it got that far, for the log.
func (p *Pipeline) webhook(ctx context.Context, w http.ResponseWriter, r *http.Request) (*webhookRequest, *webhookResponse, error) {
	if p.webhookKeys == nil {
		return nil, nil, refuse(http.StatusNotFound, "webhook_disabled", "this deployment has no webhook")
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, nil, refuse(http.StatusMethodNotAllowed, "method_not_allowed", "the webhook accepts POST only, not %s", r.Method)
	}
	signature := r.Header.Get(SignatureHeader)
	if _, _, err := parseSignature(signature, p.now()); err != nil {
		return nil, nil, err
	}
	limit := p.cfg.MaxObjectBytes
	if r.ContentLength > limit {
		return nil, nil, refuse(http.StatusRequestEntityTooLarge, "too_large",
			"the request body of %d bytes is over the limit of %d bytes (MAX_OBJECT_BYTES)", r.ContentLength, limit)
	}
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mediaType != "application/json" && mediaType != "multipart/form-data") {
		return nil, nil, refuse(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"Content-Type must be application/json or multipart/form-data")
	}
	// The body and what is parsed out of it are held within the instance's
	// memory budget, beside the other requests in flight.
	mem := p.memory.Lease(ctx)
	defer mem.Close()
	body, err := readBody(w, r, limit, mem)
	if err != nil {
		return nil, nil, err
	}
	if err := p.verifyWebhookSignature(ctx, signature, body); err != nil {
		return nil, nil, err
	}

	var req *webhookRequest
	if mediaType == "application/json" {
		req, err = parseJSONRequest(body, mem)
	} else {
		req, err = parseMultipartRequest(body, params["boundary"])
	}
	if err != nil {
		return nil, nil, err
	}
	req.mem = mem // holds the body, in which the photo was decoded
	var resp *webhookResponse
	switch req.form {
	case formRerun:
		resp, err = p.webhookRerun(ctx, req)
	case formSet:
		resp, err = p.webhookSet(ctx, req)
	case formDelete:
		resp, err = p.webhookDelete(ctx, req)
	}
	return req, resp, err
}

// webhookRerun runs the pipeline on a stored object, as its finalized event
// would, even if its outcome is already recorded: an operator re-runs an
// object on purpose, after fixing its contact.
func (p *Pipeline) webhookRerun(ctx context.Context, req *webhookRequest) (*webhookResponse, error) {
	if !slices.Contains(p.cfg.WebhookBuckets, req.bucket) {
		if len(p.cfg.WebhookBuckets) == 0 {
			return nil, refuse(http.StatusForbidden, "bucket_not_allowed", "re-running objects is disabled: WEBHOOK_BUCKETS is empty")
		}
		return nil, refuse(http.StatusForbidden, "bucket_not_allowed", "bucket %q is not in WEBHOOK_BUCKETS", req.bucket)
	}
	log := p.log.With("bucket", req.bucket, "object", req.name, "generation", req.generation)
	run, err := p.runObject(ctx, log, req.bucket, req.name, req.generation, 0, runForced)
	if run != nil && run.Updated != nil {
		if err != nil {
			// The photo is set; only its record on the object is missing,
			// and a retry by the sender would send the photo again.
			log.Warn("photo updated, but its status could not be recorded on the object", "error", err.Error())
		}
		return updatedResponse(run.Updated), nil
	}
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("gs://%s/%s", req.bucket, req.name)
	if req.generation != 0 {
		what += fmt.Sprintf(" generation %d", req.generation)
	}
	return nil, refuse(http.StatusNotFound, "object_not_found", "%s was not run: %s", what, run.Skipped)
}

// webhookSet sets a contact's photo from the request.
func (p *Pipeline) webhookSet(ctx context.Context, req *webhookRequest) (*webhookResponse, error) {
	log := p.log.With("contact", req.contact.String(), "account", req.account)
	updated, err := p.updatePhotoWithin(ctx, log, req.mem, req.account, req.contact, "", req.photo)
	if err != nil {
		return nil, err
	}
	return updatedResponse(updated), nil
}

// webhookDelete removes a contact's photo.
func (p *Pipeline) webhookDelete(ctx context.Context, req *webhookRequest) (*webhookResponse, error) {
	name, err := p.DeletePhoto(ctx, req.account, req.contact)
	if err != nil {
		return nil, err
	}
	return &webhookResponse{ResourceName: name, Status: "deleted"}, nil
}

func updatedResponse(u *Updated) *webhookResponse {
	return &webhookResponse{
		ResourceName: u.ResourceName,
		Status:       StatusUpdated,
		Photo:        &photoSummary{Width: u.Photo.Width, Height: u.Photo.Height, Bytes: len(u.Photo.JPEG), Face: u.Photo.Face},
		PhotoURL:     u.PhotoURL,
	}
}

// Limits on the request's text fields, far above any real value.
const (
	maxObjectName = 1024 // Cloud Storage's own limit, in bytes
	maxFieldBytes = 1024 // resourceName and account
)

// jsonRequest is the JSON body of every form. Unknown fields are refused,
// so that a misspelt field is an error rather than ignored.
type jsonRequest struct {
	Bucket       string     `json:"bucket"`
	Name         string     `json:"name"`
	Generation   generation `json:"generation"`
	ResourceName *string    `json:"resourceName"`
	PhotoBytes   *rawString `json:"photoBytes"`
	Account      string     `json:"account"`
	Action       string     `json:"action"`
}

// generation is an object generation written as Cloud Storage's JSON
// writes it, a string of digits, or as a number.
type generation struct {
	value int64
	set   bool
}

func (g *generation) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("generation %s is not a generation number", truncate(string(b), 64))
	}
	g.value, g.set = n, true
	return nil
}

// rawString is a JSON string kept as the bytes of the body it came from,
// without a copy: the photo's base64 is most of a request, and each copy
// of it costs as much again. json.Unmarshal hands UnmarshalJSON a slice of
// its input, which parseJSONRequest owns. A string with escapes (such as
// "\/" for "/") is left for the caller to unquote, with escaped set.
type rawString struct {
	raw     []byte
	escaped bool
}

func (s *rawString) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' {
		return errors.New("not a string")
	}
	s.raw = b[1 : len(b)-1]
	s.escaped = bytes.IndexByte(s.raw, '\\') >= 0
	return nil
}

// skipValue is a JSON value that is checked but not kept.
type skipValue struct{}

func (*skipValue) UnmarshalJSON([]byte) error { return nil }

// unmarshalStrict reads a JSON object into j, refusing fields j does not
// have, as json.Decoder.DisallowUnknownFields does. json.Unmarshal reads
// body where it is, where a json.Decoder would first copy all of it into a
// buffer of its own; it refuses trailing values too.
func unmarshalStrict(body []byte, j *jsonRequest) error {
	if err := json.Unmarshal(body, j); err != nil {
		return err
	}
	var fields map[string]skipValue
	if err := json.Unmarshal(body, &fields); err != nil {
		return err
	}
	known := jsonRequestFields()
	for name := range fields {
		// Field names match without regard to case, as json.Unmarshal
		// matches them.
		if !slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, name) }) {
			return fmt.Errorf("json: unknown field %q", truncate(name, 64))
		}
	}
	return nil
}

// jsonRequestFields are the JSON names of jsonRequest's fields.
var jsonRequestFields = sync.OnceValue(func() []string {
	t := reflect.TypeFor[jsonRequest]()
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
})

// parseJSONRequest parses the body in place; the photo's bytes are decoded
// within mem.
func parseJSONRequest(body []byte, mem *membudget.Lease) (*webhookRequest, error) {
	var j jsonRequest
	if err := unmarshalStrict(body, &j); err != nil {
		return nil, invalidRequest("invalid JSON body: %v", err)
	}
	switch {
	case j.Bucket != "" || j.Name != "" || j.Generation.set:
		if j.ResourceName != nil || j.PhotoBytes != nil || j.Account != "" || j.Action != "" {
			return nil, invalidRequest("a re-run takes bucket, name and generation only; resourceName, photoBytes, account and action belong to the other forms")
		}
		return rerunRequest(j.Bucket, j.Name, j.Generation.value)
	case j.ResourceName == nil:
		return nil, invalidRequest(`the body names neither an object ("bucket" and "name") nor a contact ("resourceName")`)
	}
	req := &webhookRequest{account: j.Account}
	switch j.Action {
	case "":
		if j.PhotoBytes == nil {
			return nil, invalidRequest(`"photoBytes" is missing: give the photo, base64-encoded, or "action":"delete"`)
		}
		raw := j.PhotoBytes.raw
		if j.PhotoBytes.escaped {
			// Rare: an encoder that escapes "/" as "\/".
			var err error
			if raw, err = unescapeASCII(raw); err != nil {
				return nil, invalidRequest(`"photoBytes": %v`, err)
			}
		}
		photo, err := decodeBase64(raw)
		if err != nil {
			return nil, err
		}
		req.form, req.photo = formSet, photo
	case "delete":
		if j.PhotoBytes != nil {
			return nil, invalidRequest(`"action":"delete" takes no "photoBytes"`)
		}
		req.form = formDelete
	default:
		return nil, invalidRequest(`"action" %q is not "delete"; leave it out to set the photo`, j.Action)
	}
	return req.withContact(*j.ResourceName)
}

// unescapeASCII resolves the escapes of a JSON string's contents in place,
// each written behind what is read, for text that can only be ASCII, as
// base64 is; json.Unmarshal would make a copy of the whole photo.
func unescapeASCII(s []byte) ([]byte, error) {
	w := 0
	for r := 0; r < len(s); r++ {
		c := s[r]
		if c != '\\' {
			s[w] = c
			w++
			continue
		}
		if r+1 >= len(s) {
			return nil, errors.New("a string ends in the middle of an escape")
		}
		r++
		switch s[r] {
		case '"', '\\', '/':
			c = s[r]
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'u':
			if r+4 >= len(s) {
				return nil, errors.New("a string ends in the middle of an escape")
			}
			v, err := strconv.ParseUint(string(s[r+1:r+5]), 16, 16)
			if err != nil || v >= 0x80 {
				return nil, errors.New("an escape that is not of an ASCII character")
			}
			c = byte(v)
			r += 4
		default:
			return nil, fmt.Errorf("invalid escape \\%c", s[r])
		}
		s[w] = c
		w++
	}
	return s[:w], nil
}

// decodeBase64 accepts what the People API accepts for bytes: standard or
// URL-safe base64, padded or not. It decodes s in place, overwriting it:
// the photo then takes no memory beyond the body's. encoding/base64 reads
// each quantum before it writes the shorter decoded bytes, behind what it
// reads, so the overlap is safe (TestDecodeBase64InPlace holds it to
// that). The alphabet and padding are chosen from the text, because a
// failed attempt would leave it overwritten.
func decodeBase64(s []byte) ([]byte, error) {
	url := bytes.ContainsAny(s, "-_")
	padded := bytes.HasSuffix(bytes.TrimRight(s, "\r\n"), []byte("="))
	var enc *base64.Encoding
	switch {
	case url && padded:
		enc = base64.URLEncoding
	case url:
		enc = base64.RawURLEncoding
	case padded:
		enc = base64.StdEncoding
	default:
		enc = base64.RawStdEncoding
	}
	n, err := enc.Decode(s, s)
	if err != nil {
		return nil, invalidRequest(`"photoBytes" is not base64: %v`, err)
	}
	return s[:n], nil
}

func rerunRequest(bucket, name string, generation int64) (*webhookRequest, error) {
	switch {
	case bucket == "":
		return nil, invalidRequest(`"bucket" is missing`)
	case name == "":
		return nil, invalidRequest(`"name" is missing`)
	case len(name) > maxObjectName || !utf8.ValidString(name) || strings.ContainsAny(name, "\r\n"):
		return nil, invalidRequest(`"name" is not a Cloud Storage object name`)
	}
	return &webhookRequest{form: formRerun, bucket: bucket, name: name, generation: generation}, nil
}

// withContact parses the contact and checks the account's spelling; whether
// the account exists is for the token store to say.
func (req *webhookRequest) withContact(resourceName string) (*webhookRequest, error) {
	ref, err := people.ParseContactRef(strings.TrimSpace(resourceName))
	if err != nil {
		return nil, err
	}
	req.contact = ref
	if len(req.account) > maxFieldBytes || !utf8.ValidString(req.account) {
		return nil, invalidRequest(`"account" is not an account name`)
	}
	return req, nil
}

// readBody reads the request body within limit and the memory budget: its
// declared length up front, into a buffer of exactly that size; a body
// sent in chunks, of unknown length, in pieces each acquired as it arrives
// and joined at the end.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, mem *membudget.Lease) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, limit)
	fail := func(err error) error {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return refuse(http.StatusRequestEntityTooLarge, "too_large",
				"the request body is over the limit of %d bytes (MAX_OBJECT_BYTES)", limit)
		}
		if _, ok := errors.AsType[*membudget.Error](err); ok {
			return err
		}
		return refuse(http.StatusBadRequest, "invalid_request", "could not read the request body: %v", err)
	}
	if n := r.ContentLength; n >= 0 {
		if err := mem.AcquireInput(n, "the request body"); err != nil {
			return nil, fail(err)
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(rd, body); err != nil {
			return nil, fail(err)
		}
		return body, nil
	}
	// Holding its first piece, the request does not wait for more: a
	// piece the budget cannot grant at once is answered 503.
	var pieces [][]byte
	var total int64
	for {
		if err := mem.AcquireInput(bodyPiece, "the request body"); err != nil {
			return nil, fail(err)
		}
		piece := make([]byte, bodyPiece)
		n, err := io.ReadFull(rd, piece)
		pieces, total = append(pieces, piece[:n]), total+int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, fail(err)
		}
	}
	if len(pieces) == 1 {
		return pieces[0], nil
	}
	if err := mem.AcquireInput(total, "joining a body sent without a Content-Length"); err != nil {
		if me, ok := errors.AsType[*membudget.Error](err); ok && me.Permanent() {
			return nil, refuse(http.StatusRequestEntityTooLarge, "too_large",
				"a body of %d bytes sent without a Content-Length takes twice its size to read, more than the instance can hold; send it with a Content-Length", total)
		}
		return nil, fail(err)
	}
	body := make([]byte, 0, total)
	for _, p := range pieces {
		body = append(body, p...)
	}
	mem.ReleaseInput(int64(len(pieces)) * bodyPiece)
	return body, nil
}

// bodyPiece is the step by which a chunked body's share of the budget
// grows.
const bodyPiece = 1 << 20

// readInto appends what r reads to dst, within dst's capacity.
func readInto(dst []byte, r io.Reader) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			return nil, errors.New("a part is larger than the body")
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// parseMultipartRequest reads a form with the fields resourceName, photo
// (a file) and optionally account.
func parseMultipartRequest(body []byte, boundary string) (*webhookRequest, error) {
	if boundary == "" {
		return nil, invalidRequest("multipart/form-data without a boundary parameter")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	fields := map[string][]byte{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, invalidRequest("invalid multipart body: %v", err)
		}
		name := part.FormName()
		switch name {
		case "resourceName", "account", "photo":
		case "":
			return nil, invalidRequest("a part of the multipart body has no form field name")
		default:
			return nil, invalidRequest("unknown form field %q: the fields are resourceName, photo and account", truncate(name, 64))
		}
		if _, dup := fields[name]; dup {
			return nil, invalidRequest("form field %q appears twice", name)
		}
		var data []byte
		if name == "photo" {
			// The photo is copied to the start of the body, over bytes
			// the multipart reader has already read: it reads the body
			// strictly forwards, and a part's bytes come after its
			// headers. So the photo takes no memory beyond the body's.
			data, err = readInto(body[:0:len(body)], part)
		} else {
			data, err = io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
		}
		if err != nil {
			return nil, invalidRequest("invalid multipart body: %v", err)
		}
		if name != "photo" && len(data) > maxFieldBytes {
			return nil, invalidRequest("form field %q is over %d bytes", name, maxFieldBytes)
		}
		fields[name] = data
	}
	rn, ok := fields["resourceName"]
	if !ok {
		return nil, invalidRequest(`form field "resourceName" is missing`)
	}
	photo, ok := fields["photo"]
	if !ok {
		return nil, invalidRequest(`form field "photo" is missing`)
	}
	req := &webhookRequest{form: formSet, account: strings.TrimSpace(string(fields["account"])), photo: photo}
	return req.withContact(string(rn))
}

// truncate shortens s to at most n bytes, on a character boundary, marking
// the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// maxEchoBytes bounds what an answer or a log line repeats of a request:
// a field's value can be megabytes long.
const maxEchoBytes = 512

// requestError is a refusal decided by the webhook itself, with its status.
type requestError struct {
	status  int
	reason  string
	message string
}

func (e *requestError) Error() string { return e.message }

func refuse(status int, reason, format string, args ...any) error {
	return &requestError{status: status, reason: reason, message: fmt.Sprintf(format, args...)}
}

func invalidRequest(format string, args ...any) error {
	return refuse(http.StatusBadRequest, "invalid_request", format, args...)
}

// webhookError is the answer to a failed request.
type webhookError struct {
	status     int
	reason     string // stable, for programs: "invalid_contact", "quota_exhausted", …
	message    string // for people
	retryAfter time.Duration
}

// classifyWebhookError turns a failure into the webhook's answer: the
// request's own refusals here, everything else from the table of outcomes.
// Failures of the request or of the photo it names are the sender's to fix
// (4xx, with the adapter's own message); refusals by the services behind the
// function are the operator's (502, with details only in the log);
// transient failures are 503 with Retry-After.
func classifyWebhookError(err error) *webhookError {
	var (
		re *requestError
		ke *webhookKeyError
	)
	var me *membudget.Error
	switch {
	case errors.As(err, &re):
		return &webhookError{status: re.status, reason: re.reason, message: re.message}
	case errors.As(err, &me) && me.Permanent():
		return &webhookError{status: http.StatusRequestEntityTooLarge, reason: "too_large", message: err.Error()}
	case me != nil:
		return &webhookError{status: http.StatusServiceUnavailable, reason: "busy", retryAfter: retryAfterUnavailable,
			message: "a service behind the function is unavailable or busy; try again later"}
	case errors.Is(err, errBadSignature):
		return &webhookError{status: http.StatusUnauthorized, reason: "bad_signature", message: errBadSignature.Error()}
	case errors.As(err, &ke) && ke.Permanent():
		return &webhookError{status: http.StatusInternalServerError, reason: "misconfigured", message: "the webhook key cannot be used; the function's log says why"}
	}
	o := OutcomeOf(err)
	we := &webhookError{status: o.HTTPStatus, reason: o.Code, message: err.Error(), retryAfter: o.RetryAfter}
	switch {
	case o.Retry:
		we.message = "a service behind the function is unavailable or busy; try again later"
	case o.Code == "upstream_refused":
		we.message = fmt.Sprintf("%s refused the function (%s); the operator must fix the deployment, and the function's log says how",
			upstreamService(err), o.Reason)
	case o.HTTPStatus >= 500:
		we.message = "the request failed; the function's log says why"
	}
	return we
}

// upstreamService names the service behind an operator's failure.
func upstreamService(err error) string {
	switch {
	case errors.As(err, new(*tokens.Error)):
		return "Google's OAuth or Secret Manager"
	case errors.As(err, new(*people.Error)):
		return "the People API"
	}
	return "Cloud Storage"
}

func writeWebhookError(w http.ResponseWriter, e *webhookError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.retryAfter/time.Second)))
	}
	type body struct {
		Code    int    `json:"code"`
		Reason  string `json:"reason"`
		Message string `json:"message"`
	}
	writeJSON(w, e.status, map[string]body{"error": {Code: e.status, Reason: e.reason, Message: e.message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// logWebhookError logs a refused or failed request once: a failure the
// operator must fix at ERROR, in the shape Error Reporting picks up; the
// sender's mistakes and passing outages at WARNING.
func (p *Pipeline) logWebhookError(log *slog.Logger, we *webhookError, err error, start time.Time) {
	attrs := []any{"status", we.status, "reason", we.reason, "durationMs", time.Since(start).Milliseconds()}
	verb := "refused"
	if we.status >= 500 {
		verb = "failed"
	}
	msg := fmt.Sprintf("webhook request %s (%d %s): %s", verb, we.status, http.StatusText(we.status), truncate(err.Error(), maxEchoBytes))
	if we.status == http.StatusInternalServerError || we.status == http.StatusBadGateway {
		log.Error(msg, append(attrs, cloudlog.ErrorReport(p.cfg.Service, p.cfg.Version, 1))...)
		return
	}
	log.Warn(msg, attrs...)
}

// The webhook key is read from Secret Manager on first use and again after
// webhookKeyTTL, so that a new version of the secret takes effect without a
// redeploy. A signature that does not verify re-reads it sooner, at most
// once per webhookKeyRetry: a sender already signing with a new key gets in
// within a minute, and junk cannot turn every request into a Secret Manager
// call.
const (
	webhookKeyTTL   = 5 * time.Minute
	webhookKeyRetry = time.Minute
	// minWebhookKeyBytes refuses keys short enough to guess.
	minWebhookKeyBytes = 16
)

// webhookKeys caches the webhook's HMAC key for the instance.
type webhookKeys struct {
	sm      *secretmanager.Client
	version string // WEBHOOK_SECRET
	now     func() time.Time
	log     *slog.Logger

	sem      chan struct{} // held while the fields below are read or written
	key      []byte
	err      error     // the last permanent failure, while key is nil
	expires  time.Time // when the key must be read again
	lastRead time.Time // the last attempt to read it
}

func newWebhookKeys(sm *secretmanager.Client, version string, now func() time.Time, log *slog.Logger) *webhookKeys {
	return &webhookKeys{sm: sm, version: version, now: now, log: log, sem: make(chan struct{}, 1)}
}

// lock waits for the fields, or for ctx to end.
func (k *webhookKeys) lock(ctx context.Context) (unlock func(), err error) {
	select {
	case k.sem <- struct{}{}:
		return func() { <-k.sem }, nil
	case <-ctx.Done():
		return nil, &webhookKeyError{version: k.version, err: ctx.Err()}
	}
}

// current returns the key, reading it when it is due.
func (k *webhookKeys) current(ctx context.Context) ([]byte, error) {
	unlock, err := k.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	now := k.now()
	switch {
	case k.key != nil && now.Before(k.expires):
		return k.key, nil
	case k.key == nil && k.err != nil && now.Sub(k.lastRead) < webhookKeyRetry:
		return nil, k.err
	}
	return k.read(ctx, now)
}

// reread returns a key other than tried, after a signature did not verify
// with tried. It returns nil when it is too soon to ask Secret Manager again
// or the key has not changed.
func (k *webhookKeys) reread(ctx context.Context, tried []byte) ([]byte, error) {
	unlock, err := k.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if k.key != nil && !bytes.Equal(k.key, tried) {
		return k.key, nil // another request read a new key meanwhile
	}
	now := k.now()
	if now.Sub(k.lastRead) < webhookKeyRetry {
		return nil, nil
	}
	key, err := k.read(ctx, now)
	if err != nil || bytes.Equal(key, tried) {
		return nil, err
	}
	return key, nil
}

// read reads the key. A transient failure keeps the key held before, for
// another webhookKeyRetry; a permanent one drops it, so that disabling a
// secret version stops its key at once.
func (k *webhookKeys) read(ctx context.Context, now time.Time) ([]byte, error) {
	k.lastRead = now
	key, err := readWebhookKey(ctx, k.sm, k.version)
	switch {
	case err == nil:
		if k.key != nil && !bytes.Equal(key, k.key) {
			k.log.Info("the webhook key changed; signatures are now checked with the new one", "secret", k.version)
		}
		k.key, k.err, k.expires = key, nil, now.Add(webhookKeyTTL)
		return key, nil
	case !IsPermanent(err) && k.key != nil:
		k.log.Warn("could not read the webhook key again; still using the one read before", "error", err.Error())
		k.expires = now.Add(webhookKeyRetry)
		return k.key, nil
	case IsPermanent(err):
		k.key, k.err = nil, err
	}
	return nil, err
}

// readWebhookKey reads the key's secret version and checks its CRC32C,
// which the Secret Manager client leaves to its caller.
func readWebhookKey(ctx context.Context, sm *secretmanager.Client, version string) ([]byte, error) {
	data, _, err := tokens.AccessSecret(ctx, sm, version)
	if errors.Is(err, tokens.ErrChecksum) {
		return nil, &webhookKeyError{version: version, err: err, permanent: true}
	}
	if err != nil {
		switch grpcstatus.Code(err) {
		case codes.NotFound, codes.FailedPrecondition, codes.PermissionDenied, codes.InvalidArgument:
			return nil, &webhookKeyError{version: version, err: err, permanent: true}
		}
		return nil, &webhookKeyError{version: version, err: err}
	}
	if len(data) < minWebhookKeyBytes {
		return nil, &webhookKeyError{version: version, permanent: true, err: fmt.Errorf(
			"the key is %d bytes, under %d; store a random one: openssl rand -hex 32 | tr -d '\\n' | gcloud secrets versions add SECRET --data-file=-",
			len(data), minWebhookKeyBytes)}
	}
	return data, nil
}

// webhookKeyError says why the webhook key could not be read. It never holds
// the key.
type webhookKeyError struct {
	version   string
	err       error
	permanent bool
}

func (e *webhookKeyError) Error() string {
	return fmt.Sprintf("read the webhook key %s (WEBHOOK_SECRET): %v", e.version, e.err)
}
func (e *webhookKeyError) Unwrap() error   { return e.err }
func (e *webhookKeyError) Permanent() bool { return e.permanent }

// verifyWebhookSignature checks the request's signature with the current
// key and, if that fails, with a newer key when there is one.
func (p *Pipeline) verifyWebhookSignature(ctx context.Context, header string, body []byte) error {
	key, err := p.webhookKeys.current(ctx)
	if err != nil {
		return err
	}
	now := p.now()
	if verifySignature(header, body, key, now) == nil {
		return nil
	}
	newer, err := p.webhookKeys.reread(ctx, key)
	if err != nil {
		p.log.Warn("could not re-read the webhook key after a signature did not verify", "error", err.Error())
		return errBadSignature
	}
	if newer != nil && verifySignature(header, body, newer, now) == nil {
		return nil
	}
	return errBadSignature
}
