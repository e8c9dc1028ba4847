// Package contactphoto is a Cloud Function that turns a photo uploaded to a
// Cloud Storage bucket into the photo of a Google Contacts contact.
//
// The object's custom metadata names the contact ("resourceName":
// "people/c1234567890"). The function downloads the image, orients, crops
// and downscales it to a square JPEG, takes an OAuth access token from a
// refresh token kept in Secret Manager, and calls the People API's
// people.updateContactPhoto.
//
// UpdateContactPhoto is the CloudEvent entry point for
// google.cloud.storage.object.v1.finalized (legacy
// google.storage.object.finalize events are converted by the functions
// framework) and google.cloud.storage.object.v1.metadataUpdated: a failed
// object whose contact or account metadata changes is run again, so that
// fixing a typo in the metadata mends the failure. UpdateContactPhotoWebhook is the HTTP entry point to the same
// pipeline, for signed requests that set or delete a photo or re-run an
// object. Configuration comes from environment variables; see Config.
//
// A failure that a retry cannot mend (bad metadata, not an image, unknown
// contact, revoked token) is logged once at ERROR and acknowledged. Any
// other failure is returned, so that Eventarc delivers the event again.
package contactphoto

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/googleapis/google-cloudevents-go/cloud/storagedata"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/contactphoto/contactphoto/gcs"
	"github.com/contactphoto/contactphoto/imaging"
	"github.com/contactphoto/contactphoto/internal/cloudlog"
	"github.com/contactphoto/contactphoto/internal/membudget"
	"github.com/contactphoto/contactphoto/people"
)

// The CloudEvent types the function handles: a new object generation, and
// a change of a generation's metadata.
const (
	FinalizedEventType       = "google.cloud.storage.object.v1.finalized"
	MetadataUpdatedEventType = "google.cloud.storage.object.v1.metadataUpdated"
)

// The names the functions are registered under: the entry points of a
// deployment.
const (
	EventFunctionName   = "UpdateContactPhoto"
	WebhookFunctionName = "UpdateContactPhotoWebhook"
)

func init() {
	functions.CloudEvent(EventFunctionName, UpdateContactPhoto)
	functions.HTTP(WebhookFunctionName, UpdateContactPhotoWebhook)
}

// defaultPipeline builds the configuration and clients on first use and
// keeps them for every later invocation of this instance.
var defaultPipeline = sync.OnceValues(func() (*Pipeline, error) {
	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		return nil, err
	}
	setMemoryLimit(os.Getenv("GOMEMLIMIT"), cgroupMemoryFiles)
	return NewPipeline(context.Background(), cfg, nil)
})

// UpdateContactPhoto handles a Cloud Storage object event.
func UpdateContactPhoto(ctx context.Context, e event.Event) error {
	p, err := defaultPipeline()
	if err != nil {
		// A broken deployment: retrying lets the events through once it
		// is fixed and redeployed.
		return fmt.Errorf("start contactphoto: %w", err)
	}
	return p.HandleEvent(ctx, e)
}

// defaultEventDeadline bounds an event's work when the platform gives no
// deadline, a little under the deployment's 300 s timeout, so that waits
// for the People API's pace give up cleanly and the event is retried.
const defaultEventDeadline = 280 * time.Second

// HandleEvent runs the pipeline for one event and decides its outcome: nil
// when done or failed for good, an error when Eventarc should retry.
func (p *Pipeline) HandleEvent(ctx context.Context, e event.Event) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultEventDeadline)
		defer cancel()
	}
	log := p.log.With("eventId", e.ID(), "eventType", e.Type())

	// Event.
	mode := runUpload
	switch e.Type() {
	case FinalizedEventType:
	case MetadataUpdatedEventType:
		mode = runChanged
	default:
		log.Info("ignoring event of another type; the triggers should only send " + FinalizedEventType + " and " + MetadataUpdatedEventType)
		return nil
	}
	obj, err := decodeObjectEvent(e.Data())
	if err != nil {
		return p.finish(log, permanentf(ErrBadEvent, "%w", err))
	}
	log = log.With("bucket", obj.GetBucket(), "object", obj.GetName(), "generation", obj.GetGeneration())
	if age := p.now().Sub(e.Time()); !e.Time().IsZero() && age > p.cfg.MaxEventAge {
		log.Warn("acknowledging an event older than MAX_EVENT_AGE without processing it",
			"age", age.Round(time.Second).String(), "maxEventAge", p.cfg.MaxEventAge.String())
		return nil
	}
	run, err := p.runObject(ctx, log, obj.GetBucket(), obj.GetName(), obj.GetGeneration(), obj.GetSize(), mode)
	if err == nil && run.Skipped != "" {
		log.Info("skipped: " + run.Skipped)
	}
	return p.finish(log, err)
}

// decodeObjectEvent reads the event data with protojson, which understands
// the int64 fields (size, generation) that Cloud Storage sends as strings.
func decodeObjectEvent(data []byte) (*storagedata.StorageObjectData, error) {
	var obj storagedata.StorageObjectData
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("decode storage object event data: %w", err)
	}
	switch {
	case obj.GetBucket() == "":
		return nil, errors.New("storage object event has no bucket")
	case obj.GetName() == "":
		return nil, errors.New("storage object event has no object name")
	case obj.GetGeneration() <= 0:
		return nil, errors.New("storage object event has no generation")
	}
	return &obj, nil
}

// ObjectResult says what running the pipeline on an object did.
type ObjectResult struct {
	Updated *Updated // the photo that was set; nil when skipped
	Skipped string   // why nothing was sent, when it was skipped
}

// UpdateObject runs the pipeline on one stored object generation (0 means
// the latest) as an upload event does, for tools that process objects that
// were not just uploaded. A generation whose outcome is already recorded is
// skipped, unless it failed and its contact or account metadata changed
// since, or retryFailed is set and it failed. Permanent failures are
// recorded on the object and returned; see IsPermanent.
func (p *Pipeline) UpdateObject(ctx context.Context, bucket, name string, generation int64, retryFailed bool) (*ObjectResult, error) {
	log := p.log.With("bucket", bucket, "object", name, "generation", generation)
	mode := runBackfill
	if retryFailed {
		mode = runRetryFailed
	}
	return p.runObject(ctx, log, bucket, name, generation, 0, mode)
}

// runMode says which recorded outcomes make runObject skip a generation.
type runMode int

const (
	// runUpload, for a new generation's event, skips any recorded outcome,
	// so that a redelivered event does no work twice.
	runUpload runMode = iota
	// runChanged, for a metadata change, runs only a recorded failure
	// whose inputs changed since. The function's own status writes change
	// no input, so they never start a run.
	runChanged
	// runBackfill runs what has no outcome yet, and failures whose inputs
	// changed.
	runBackfill
	// runRetryFailed runs everything but a recorded success.
	runRetryFailed
	// runForced runs whatever is recorded: an operator asked for it.
	runForced
)

// UpdatePhoto sets a contact's photo from image bytes, through the same
// imaging, token and People API steps as an upload.
func (p *Pipeline) UpdatePhoto(ctx context.Context, account string, ref people.ContactRef, data []byte) (*Updated, error) {
	mem := p.memory.Lease(ctx)
	defer mem.Close()
	return p.updatePhotoWithin(ctx, p.log.With("contact", ref.String(), "account", account), mem, account, ref, "", data)
}

// runObject is the pipeline for one stored object generation (0 means the
// latest). mode says which recorded outcomes skip it. The outcome of the
// work is recorded on the object.
func (p *Pipeline) runObject(ctx context.Context, log *slog.Logger, bucket, name string, generation, sizeHint int64, mode runMode) (*ObjectResult, error) {
	// Object.
	attrs, skip, err := p.currentGeneration(ctx, bucket, name, generation)
	if err != nil || skip != "" {
		return &ObjectResult{Skipped: skip}, err
	}
	generation = attrs.Generation
	// One delivery per object at a time in this instance: a duplicate
	// arriving meanwhile waits, then finds the outcome recorded; a newer
	// generation's event waits until the older photo is sent, so that the
	// newer one lands last, and an older event that waited finds itself
	// stale.
	unlock, err := p.inflight.lock(ctx, bucket+"/"+name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if attrs, skip, err = p.currentGeneration(ctx, bucket, name, generation); err != nil || skip != "" {
		return &ObjectResult{Skipped: skip}, err
	}
	if skip := p.cfg.skipRecorded(attrs, mode); skip != "" {
		return &ObjectResult{Skipped: skip}, nil
	}
	if mode == runUpload {
		if prev, ok := p.recent.get(objectKey(bucket, name, generation)); ok {
			// This instance did the work, but recording it failed; record
			// it now instead of sending the photo again.
			return &ObjectResult{Skipped: "already " + prev.status + " by this instance"}, p.recordStatus(ctx, log, attrs, prev)
		}
	}

	run, err := p.processObject(ctx, log, attrs, sizeHint)
	if ge, ok := errors.AsType[*gcs.Error](err); ok && ge.Kind == gcs.NotFound {
		// The generation was overwritten or deleted after it was looked up:
		// like a stale event, it is not a failure to report.
		return &ObjectResult{Skipped: "the object was overwritten or deleted while it was being read"}, nil
	}
	var st status
	switch {
	case err == nil:
		st = status{status: StatusUpdated, contact: run.Updated.ResourceName, inputs: p.cfg.inputsOf(attrs)}
	case IsPermanent(err):
		st = status{status: StatusFailedPrefix + FailureReason(err), inputs: p.cfg.inputsOf(attrs)}
	default:
		return nil, err
	}
	p.recent.add(objectKey(bucket, name, generation), st)
	if werr := p.recordStatus(ctx, log, attrs, st); werr != nil {
		if err != nil {
			// The failure is permanent whatever happens to its record.
			log.Warn("could not record the failure on the object", "error", werr.Error())
			return nil, err
		}
		return run, fmt.Errorf("photo updated, but recording it on the object failed: %w", werr)
	}
	return run, err
}

// currentGeneration reads the object's attributes and says why to skip it
// when the wanted generation is no longer the live one: a stale event must
// never send an old photo.
func (p *Pipeline) currentGeneration(ctx context.Context, bucket, name string, generation int64) (*gcs.Object, string, error) {
	attrs, err := p.objects.Attrs(ctx, bucket, name)
	var ge *gcs.Error
	switch {
	case errors.As(err, &ge) && ge.Kind == gcs.NotFound:
		return nil, "the object no longer exists", nil
	case err != nil:
		return nil, "", err
	case generation == 0 || attrs.Generation == generation:
		return attrs, "", nil
	case attrs.Generation > generation:
		return nil, fmt.Sprintf("the object was overwritten by generation %d, whose own event sets the photo", attrs.Generation), nil
	}
	return nil, "", fmt.Errorf("gs://%s/%s: generation %d is not visible yet (latest is %d)", bucket, name, generation, attrs.Generation)
}

// processObject takes one object generation from its metadata to the People
// API.
func (p *Pipeline) processObject(ctx context.Context, log *slog.Logger, attrs *gcs.Object, sizeHint int64) (*ObjectResult, error) {
	// Contact.
	t, err := p.cfg.targetOf(attrs, sizeHint)
	if err != nil {
		return nil, err
	}
	log = log.With("contact", t.ref.String(), "account", t.account)

	mem := p.memory.Lease(ctx)
	defer mem.Close()
	// The reader's buffer is sized from the object's stored size, plus
	// the few bytes it reads past the end to see it. A gzip-encoded object
	// is served decompressed: its stored size says nothing of what is
	// read, into a buffer that doubles as it grows, so it may take half of
	// what it acquires.
	need, maxRead := attrs.Size+bytes.MinRead, p.cfg.MaxObjectBytes
	if strings.Contains(strings.ToLower(attrs.ContentEncoding), "gzip") {
		maxRead = min(maxRead, p.memory.InputCapacity()/2)
		need = 2 * maxRead
	}
	if err := mem.AcquireInput(need, "the object's bytes"); err != nil {
		return nil, memoryError(err)
	}
	data, err := p.objects.Read(ctx, attrs.Bucket, attrs.Name, attrs.Generation, maxRead)
	if err != nil {
		return nil, err
	}
	updated, err := p.updatePhotoWithin(ctx, log, mem, t.account, t.ref, t.email, data)
	if err != nil {
		return nil, err
	}
	return &ObjectResult{Updated: updated}, nil
}

// target is what an object's attributes ask for: whose photo, with which
// account's credentials.
type target struct {
	ref     people.ContactRef
	account string
	// email finds the contact again when its resource name changed, as it
	// does when a contact is linked to a profile.
	email string
}

// targetOf reads the target from an object's attributes, refusing for good
// what no download can mend: an object over the size limit (by its stored
// size or the event's), and missing or malformed contact metadata.
func (c *Config) targetOf(attrs *gcs.Object, sizeHint int64) (*target, error) {
	if size := max(attrs.Size, sizeHint); size > c.MaxObjectBytes {
		return nil, permanentf(ErrObjectTooLarge, "object is %d bytes, over MAX_OBJECT_BYTES (%d)", size, c.MaxObjectBytes)
	}
	ref, err := c.contactOf(attrs.Name, attrs.Metadata)
	if err != nil {
		return nil, err
	}
	account, _, err := lookupMetadata(attrs.Metadata, AccountMetadataKey)
	if err != nil {
		return nil, err
	}
	email, _, err := lookupMetadata(attrs.Metadata, EmailMetadataKey)
	if err != nil {
		return nil, err
	}
	return &target{ref: ref, account: account, email: email}, nil
}

// EmailMetadataKey is the object metadata key with the contact's email
// address, used to find the contact again when its resource name changed.
const EmailMetadataKey = "email"

// AccountMetadataKey is the object metadata key that picks the account whose
// contacts are updated, matched case-insensitively.
const AccountMetadataKey = "account"

// contactOf reads the contact reference from the object's metadata, or from
// its file name when CONTACT_FROM_FILENAME allows.
func (c *Config) contactOf(name string, metadata map[string]string) (people.ContactRef, error) {
	if v, ok, err := lookupMetadata(metadata, c.ContactMetadataKey); err != nil {
		return people.ContactRef{}, err
	} else if ok {
		return people.ParseContactRef(v)
	}
	if c.ContactFromFilename {
		return people.ContactRefFromFilename(path.Base(name))
	}
	return people.ContactRef{}, permanentf(ErrNoContact,
		"object has no %q metadata naming the contact; upload it with --custom-metadata=%s=people/c1234567890",
		c.ContactMetadataKey, c.ContactMetadataKey)
}

// Updated describes a contact photo that was set.
type Updated struct {
	ResourceName string          // the contact, resolved
	Photo        *imaging.Result // what was sent
	PhotoURL     string          // the new photo's URL, when PEOPLE_PERSON_FIELDS asks for it
}

// updatePhotoWithin is the part of the pipeline shared by every way in:
// pixels, token, contact resolution and the People API call. The image is
// decoded within the request's share of the memory budget.
func (p *Pipeline) updatePhotoWithin(ctx context.Context, log *slog.Logger, mem *membudget.Lease, account string, ref people.ContactRef, fallbackEmail string, data []byte) (*Updated, error) {
	// Pixels.
	opts := p.cfg.Imaging
	opts.Logger = log
	opts.Memory = mem
	img, err := imaging.Process(bytes.NewBuffer(data), &opts)
	if _, ok := errors.AsType[*membudget.Error](err); ok {
		return nil, memoryError(err) // the instance was too busy: retry
	} else if err != nil {
		return nil, err
	}
	log = log.With("photo", photoAttrs(len(data), img))

	// Token.
	if err := p.checkToken(ctx, account); err != nil {
		return nil, err
	}

	// API.
	photo, err := p.people.UpdatePhotoByRef(ctx, account, ref, fallbackEmail, img.JPEG)
	if err != nil {
		return nil, err
	}
	if photo.ResourceName != ref.ResourceName {
		log = log.With("resourceName", photo.ResourceName)
	}

	// Outcome.
	attrs := []any{}
	if photo.URL != "" {
		attrs = append(attrs, "photoUrl", photo.URL)
	}
	log.Info("contact photo updated", attrs...)
	return &Updated{ResourceName: photo.ResourceName, Photo: img, PhotoURL: photo.URL}, nil
}

// checkToken gets the account's access token before the API call, so that
// a credentials problem is reported as the tokens adapter classified it
// rather than as a failed People API request.
func (p *Pipeline) checkToken(ctx context.Context, account string) error {
	ts, err := p.tokens.TokenSource(ctx, account)
	if err != nil {
		return err
	}
	_, err = ts.Token()
	return err
}

func photoAttrs(inputBytes int, r *imaging.Result) slog.Value {
	return slog.GroupValue(
		slog.String("format", r.Format),
		slog.Int("inputBytes", inputBytes),
		slog.String("source", strconv.Itoa(r.SourceWidth)+"x"+strconv.Itoa(r.SourceHeight)),
		slog.Int("orientation", r.Orientation),
		slog.String("crop", fmt.Sprintf("%d,%d %dx%d", r.Crop.Min.X, r.Crop.Min.Y, r.Crop.Dx(), r.Crop.Dy())),
		slog.Bool("face", r.Face),
		slog.String("output", strconv.Itoa(r.Width)+"x"+strconv.Itoa(r.Height)),
		slog.Int("outputBytes", len(r.JPEG)),
		slog.Int("quality", r.Quality),
	)
}

// memoryError is a step's refusal by the memory budget: for good when the
// step can never fit, otherwise transient, for a retry when the instance is
// less busy.
func memoryError(err error) error {
	if IsPermanent(err) {
		return permanentf(ErrTooLargeForMemory, "%w", err)
	}
	return err
}

// finish turns the pipeline's error into the event's outcome. It is the one
// place that decides between acknowledging and retrying.
func (p *Pipeline) finish(log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	if IsPermanent(err) {
		log.Error("contact photo not updated: "+err.Error(), "reason", FailureReason(err),
			cloudlog.ErrorReport(p.cfg.Service, p.cfg.Version, 1))
		return nil
	}
	return err
}

// IsPermanent reports whether err says that retrying cannot help. Each
// adapter marks its own errors; anything unmarked is retried.
func IsPermanent(err error) bool {
	var pe interface{ Permanent() bool }
	return errors.As(err, &pe) && pe.Permanent()
}

// lookupMetadata finds a metadata value by key, ignoring case, as users type
// metadata keys by hand. Two spellings of the key with different values are
// refused rather than picked at random.
func lookupMetadata(m map[string]string, key string) (value string, found bool, err error) {
	for k, v := range m {
		if !strings.EqualFold(k, key) {
			continue
		}
		v = strings.TrimSpace(v)
		if found && v != value {
			return "", false, permanentf(ErrConflictingMetadata,
				"object metadata has the key %q more than once, in different cases, with different values", key)
		}
		value, found = v, true
	}
	return value, found, nil
}
