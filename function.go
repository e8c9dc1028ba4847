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
// framework). Configuration comes from environment variables; see Config.
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
	"unicode"

	"github.com/GoogleCloudPlatform/functions-framework-go/functions"
	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/googleapis/google-cloudevents-go/cloud/storagedata"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/contactphoto/contactphoto/gcs"
	"github.com/contactphoto/contactphoto/imaging"
	"github.com/contactphoto/contactphoto/people"
	"github.com/contactphoto/contactphoto/tokens"
)

// FinalizedEventType is the CloudEvent type the function handles.
const FinalizedEventType = "google.cloud.storage.object.v1.finalized"

func init() {
	functions.CloudEvent("UpdateContactPhoto", UpdateContactPhoto)
}

// defaultPipeline builds the configuration and clients on first use and
// keeps them for every later invocation of this instance.
var defaultPipeline = sync.OnceValues(func() (*Pipeline, error) {
	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		return nil, err
	}
	return NewPipeline(context.Background(), cfg, nil)
})

// UpdateContactPhoto handles a Cloud Storage object finalized event.
func UpdateContactPhoto(ctx context.Context, e event.Event) error {
	p, err := defaultPipeline()
	if err != nil {
		// A broken deployment: retrying lets the events through once it
		// is fixed and redeployed.
		return fmt.Errorf("start contactphoto: %w", err)
	}
	return p.HandleEvent(ctx, e)
}

// HandleEvent runs the pipeline for one event and decides its outcome: nil
// when done or failed for good, an error when Eventarc should retry.
func (p *Pipeline) HandleEvent(ctx context.Context, e event.Event) error {
	log := p.log.With("eventId", e.ID(), "eventType", e.Type())

	// Event.
	if e.Type() != FinalizedEventType {
		log.Info("ignoring event of another type; the trigger should only send " + FinalizedEventType)
		return nil
	}
	obj, err := decodeObjectEvent(e.Data())
	if err != nil {
		return p.finish(log, permanentf("bad event", "%w", err))
	}
	log = log.With("bucket", obj.GetBucket(), "object", obj.GetName(), "generation", obj.GetGeneration())
	if age := p.now().Sub(e.Time()); !e.Time().IsZero() && age > p.cfg.MaxEventAge {
		log.Warn("acknowledging an event older than MAX_EVENT_AGE without processing it",
			"age", age.Round(time.Second).String(), "maxEventAge", p.cfg.MaxEventAge.String())
		return nil
	}
	if size := obj.GetSize(); size > p.cfg.MaxObjectBytes {
		return p.finish(log, permanentf("too large",
			"object is %d bytes, over MAX_OBJECT_BYTES (%d)", size, p.cfg.MaxObjectBytes))
	}
	return p.finish(log, p.updateFromObject(ctx, log, obj.GetBucket(), obj.GetName(), obj.GetGeneration()))
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

// updateFromObject is the pipeline for one stored object generation.
func (p *Pipeline) updateFromObject(ctx context.Context, log *slog.Logger, bucket, name string, generation int64) error {
	// Object.
	attrs, err := p.objects.Attrs(ctx, bucket, name)
	if err != nil {
		return err
	}
	if attrs.Generation != generation {
		log.Info("skipping: the object has been overwritten since this event; the newer generation's event sets the photo",
			"currentGeneration", attrs.Generation)
		return nil
	}

	// Contact.
	ref, err := p.contactOf(name, attrs.Metadata)
	if err != nil {
		return err
	}
	account, _, err := lookupMetadata(attrs.Metadata, AccountMetadataKey)
	if err != nil {
		return err
	}
	log = log.With("contact", ref.String(), "account", account)

	data, err := p.objects.Read(ctx, bucket, name, generation, p.cfg.MaxObjectBytes)
	if err != nil {
		return err
	}
	_, err = p.updatePhoto(ctx, log, account, ref, data)
	return err
}

// AccountMetadataKey is the object metadata key that picks the account whose
// contacts are updated, matched case-insensitively.
const AccountMetadataKey = "account"

// contactOf reads the contact reference from the object's metadata, or from
// its file name when CONTACT_FROM_FILENAME allows.
func (p *Pipeline) contactOf(name string, metadata map[string]string) (people.ContactRef, error) {
	if v, ok, err := lookupMetadata(metadata, p.cfg.ContactMetadataKey); err != nil {
		return people.ContactRef{}, err
	} else if ok {
		return people.ParseContactRef(v)
	}
	if p.cfg.ContactFromFilename {
		return people.ContactRefFromFilename(path.Base(name))
	}
	return people.ContactRef{}, permanentf("no contact",
		"object has no %q metadata naming the contact; upload it with --custom-metadata=%s=people/c1234567890",
		p.cfg.ContactMetadataKey, p.cfg.ContactMetadataKey)
}

// Updated describes a contact photo that was set.
type Updated struct {
	ResourceName string          // the contact, resolved
	Photo        *imaging.Result // what was sent
	PhotoURL     string          // the new photo's URL, when PEOPLE_PERSON_FIELDS asks for it
}

// updatePhoto is the part of the pipeline shared by every way in: pixels,
// token, contact resolution and the People API call.
func (p *Pipeline) updatePhoto(ctx context.Context, log *slog.Logger, account string, ref people.ContactRef, data []byte) (*Updated, error) {
	// Pixels.
	img, err := imaging.Process(bytes.NewReader(data), &p.cfg.Imaging)
	if err != nil {
		return nil, permanentf("not a usable image", "%w", err)
	}
	log = log.With("photo", photoAttrs(len(data), img))

	// Token.
	if err := p.checkToken(ctx, account); err != nil {
		return nil, err
	}

	// API.
	resourceName, err := p.people.Resolve(ctx, account, ref)
	if err != nil {
		return nil, err
	}
	if ref.ResourceName == "" {
		log = log.With("resourceName", resourceName)
	}
	photo, err := p.people.UpdatePhoto(ctx, account, resourceName, img.JPEG)
	if err != nil {
		return nil, err
	}

	// Outcome.
	attrs := []any{}
	if photo.URL != "" {
		attrs = append(attrs, "photoUrl", photo.URL)
	}
	log.Info("contact photo updated", attrs...)
	return &Updated{ResourceName: resourceName, Photo: img, PhotoURL: photo.URL}, nil
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

// finish turns the pipeline's error into the event's outcome. It is the one
// place that decides between acknowledging and retrying.
func (p *Pipeline) finish(log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	if isPermanent(err) {
		log.Error("contact photo not updated: "+err.Error(), "reason", failureReason(err))
		return nil
	}
	return err
}

// isPermanent reports whether err says that retrying cannot help. Each
// adapter marks its own errors; anything unmarked is retried.
func isPermanent(err error) bool {
	var pe interface{ Permanent() bool }
	return errors.As(err, &pe) && pe.Permanent()
}

// permanentError is a failure of the input itself, found by this package.
type permanentError struct {
	reason string
	err    error
}

func permanentf(reason, format string, args ...any) error {
	return &permanentError{reason: reason, err: fmt.Errorf(format, args...)}
}

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() error   { return e.err }
func (e *permanentError) Permanent() bool { return true }

// failureReason gives a short reason for a permanent failure, for the log
// and the object's status.
func failureReason(err error) string {
	var (
		fe  *imaging.FormatError
		pe  *people.Error
		te  *tokens.Error
		ge  *gcs.Error
		own *permanentError
	)
	switch {
	case errors.As(err, &fe):
		return "corrupt image"
	case errors.Is(err, imaging.ErrUnsupportedFormat):
		return "unsupported image format"
	case errors.Is(err, imaging.ErrTooLarge):
		return "image too large"
	case errors.As(err, &pe):
		return words(pe.Kind.String())
	case errors.As(err, &te):
		return words(te.Kind.String())
	case errors.As(err, &ge):
		return "object " + ge.Kind.String()
	case errors.As(err, &own):
		return own.reason
	}
	return "failed"
}

// words turns a kind's CamelCase name into lower-case words.
func words(camel string) string {
	var b strings.Builder
	for i, r := range camel {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte(' ')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
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
			return "", false, permanentf("conflicting metadata",
				"object metadata has the key %q more than once, in different cases, with different values", key)
		}
		value, found = v, true
	}
	return value, found, nil
}
