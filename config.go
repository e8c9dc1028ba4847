package contactphoto

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/contactphoto/contactphoto/imaging"
	"github.com/contactphoto/contactphoto/people"
	"github.com/contactphoto/contactphoto/tokens"
)

// Config is the function's whole configuration, read once from the
// environment by LoadConfig. The variable names are a public contract: the
// Terraform configuration and users' deployments set them.
type Config struct {
	// ContactMetadataKey is the object metadata key naming the contact,
	// matched case-insensitively (CONTACT_METADATA_KEY).
	ContactMetadataKey string
	// ContactFromFilename takes the contact from the object's base name when
	// the metadata key is absent (CONTACT_FROM_FILENAME).
	ContactFromFilename bool
	// MaxObjectBytes refuses larger objects before downloading them
	// (MAX_OBJECT_BYTES).
	MaxObjectBytes int64
	// Imaging holds PHOTO_SIZE, CROP, MAX_PIXELS and MAX_PHOTO_BYTES.
	Imaging imaging.Options
	// TokenSecret is the default account's Secret Manager secret version
	// (TOKEN_SECRET).
	TokenSecret string
	// Accounts maps further account names to their secret versions
	// (ACCOUNTS, "alice=projects/p/secrets/a/versions/latest,bob=...").
	Accounts map[string]string
	// PeopleEndpoint overrides the People API base URL (PEOPLE_API_ENDPOINT).
	PeopleEndpoint string
	// WritesPerMinute paces photo writes per account
	// (PEOPLE_WRITES_PER_MINUTE).
	WritesPerMinute int
	// PersonFields asks the People API to return these fields after an
	// update (PEOPLE_PERSON_FIELDS); "photos" makes the function log the new
	// photo URL.
	PersonFields string
	// SecretManagerEmulatorHost points the Secret Manager client at a
	// plaintext gRPC stand-in (SECRET_MANAGER_EMULATOR_HOST).
	SecretManagerEmulatorHost string
	// StorageEmulatorHost is read by the Cloud Storage library itself; it is
	// kept here so that the configuration is complete in one place
	// (STORAGE_EMULATOR_HOST).
	StorageEmulatorHost string
	// MaxEventAge acknowledges older events without processing them, so that
	// nothing is retried forever (MAX_EVENT_AGE).
	MaxEventAge time.Duration
	// StatusWriteback records each object's outcome in its own metadata and
	// skips generations already recorded (STATUS_WRITEBACK). Without it,
	// duplicates are only recognised within one instance.
	StatusWriteback bool
	// WebhookSecret is the secret version holding the webhook's HMAC key
	// (WEBHOOK_SECRET). Empty disables the webhook.
	WebhookSecret string
	// WebhookBuckets lists the buckets whose objects the webhook may re-run
	// (WEBHOOK_BUCKETS, comma-separated). Empty disables re-runs.
	WebhookBuckets []string

	// Service and Version name the deployment in Error Reporting; Cloud Run
	// sets K_SERVICE and K_REVISION.
	Service, Version string
}

// Environment variable names read by LoadConfig.
const (
	EnvContactMetadataKey        = "CONTACT_METADATA_KEY"
	EnvContactFromFilename       = "CONTACT_FROM_FILENAME"
	EnvMaxObjectBytes            = "MAX_OBJECT_BYTES"
	EnvPhotoSize                 = "PHOTO_SIZE"
	EnvCrop                      = "CROP"
	EnvMaxPixels                 = "MAX_PIXELS"
	EnvMaxPhotoBytes             = "MAX_PHOTO_BYTES"
	EnvTokenSecret               = "TOKEN_SECRET"
	EnvAccounts                  = "ACCOUNTS"
	EnvPeopleEndpoint            = "PEOPLE_API_ENDPOINT"
	EnvWritesPerMinute           = "PEOPLE_WRITES_PER_MINUTE"
	EnvPersonFields              = "PEOPLE_PERSON_FIELDS"
	EnvSecretManagerEmulatorHost = "SECRET_MANAGER_EMULATOR_HOST"
	EnvStorageEmulatorHost       = "STORAGE_EMULATOR_HOST"
	EnvMaxEventAge               = "MAX_EVENT_AGE"
	EnvStatusWriteback           = "STATUS_WRITEBACK"
	EnvWebhookSecret             = "WEBHOOK_SECRET"
	EnvWebhookBuckets            = "WEBHOOK_BUCKETS"
)

// ConfigVariables lists every environment variable a deployment sets for
// LoadConfig.
var ConfigVariables = []string{
	EnvContactMetadataKey, EnvContactFromFilename, EnvMaxObjectBytes,
	EnvPhotoSize, EnvCrop, EnvMaxPixels, EnvMaxPhotoBytes,
	EnvTokenSecret, EnvAccounts,
	EnvWritesPerMinute, EnvPersonFields,
	EnvMaxEventAge, EnvStatusWriteback,
	EnvWebhookSecret, EnvWebhookBuckets,
}

// EmulatorVariables point the clients at local stand-ins; LoadConfig reads
// them too, but a deployment never sets them.
var EmulatorVariables = []string{
	EnvPeopleEndpoint, EnvSecretManagerEmulatorHost, EnvStorageEmulatorHost,
}

// PlatformVariables are set by Cloud Run itself and read by LoadConfig.
var PlatformVariables = []string{"K_SERVICE", "K_REVISION"}

// DefaultService names the function in Error Reporting outside Cloud Run.
const DefaultService = "contactphoto"

// Defaults for the optional variables.
const (
	DefaultContactMetadataKey = "resourceName"
	DefaultMaxObjectBytes     = 40 << 20
	DefaultMaxEventAge        = 24 * time.Hour
)

// Limits that keep a value from a typo out of production.
const (
	maxPhotoSize   = 2000 // the People API stores contact photos far smaller
	maxMetadataKey = 128
)

var (
	metadataKeyRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	bucketNameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$`)
)

// LoadConfig reads and validates the configuration. getenv is os.Getenv in
// production and a map lookup in tests. All problems are reported together,
// each naming its variable.
func LoadConfig(getenv func(string) string) (*Config, error) {
	return loadConfig(getenv, true)
}

// LoadToolConfig is LoadConfig for the command-line tools, which may take
// their credentials from a flag instead: TOKEN_SECRET is optional.
func LoadToolConfig(getenv func(string) string) (*Config, error) {
	return loadConfig(getenv, false)
}

func loadConfig(getenv func(string) string, requireToken bool) (*Config, error) {
	p := &envParser{getenv: getenv}
	c := &Config{
		ContactMetadataKey:        p.str(EnvContactMetadataKey, DefaultContactMetadataKey),
		ContactFromFilename:       p.boolean(EnvContactFromFilename, false),
		MaxObjectBytes:            p.integer(EnvMaxObjectBytes, DefaultMaxObjectBytes, 1, 1<<40),
		TokenSecret:               strings.TrimSpace(getenv(EnvTokenSecret)),
		PeopleEndpoint:            strings.TrimSpace(getenv(EnvPeopleEndpoint)),
		WritesPerMinute:           int(p.integer(EnvWritesPerMinute, people.DefaultWritesPerMinute, 1, 6000)),
		PersonFields:              strings.TrimSpace(getenv(EnvPersonFields)),
		SecretManagerEmulatorHost: strings.TrimSpace(getenv(EnvSecretManagerEmulatorHost)),
		StorageEmulatorHost:       strings.TrimSpace(getenv(EnvStorageEmulatorHost)),
		MaxEventAge:               p.duration(EnvMaxEventAge, DefaultMaxEventAge),
		StatusWriteback:           p.boolean(EnvStatusWriteback, true),
		WebhookSecret:             strings.TrimSpace(getenv(EnvWebhookSecret)),
		Service:                   p.str("K_SERVICE", DefaultService),
		Version:                   strings.TrimSpace(getenv("K_REVISION")),
	}
	if c.WebhookSecret != "" {
		if v, err := tokens.ParseVersionName(c.WebhookSecret); err != nil {
			p.fail(EnvWebhookSecret, err.Error())
		} else {
			c.WebhookSecret = v
		}
	}
	for _, b := range strings.Split(getenv(EnvWebhookBuckets), ",") {
		if b = strings.TrimSpace(b); b == "" {
			continue
		}
		if !bucketNameRE.MatchString(b) {
			p.fail(EnvWebhookBuckets, fmt.Sprintf("%q is not a bucket name", b))
			continue
		}
		c.WebhookBuckets = append(c.WebhookBuckets, b)
	}
	c.Imaging = imaging.Options{
		Size:      int(p.integer(EnvPhotoSize, imaging.DefaultSize, 16, maxPhotoSize)),
		MaxPixels: p.integer(EnvMaxPixels, imaging.DefaultMaxPixels, 1, 1<<40),
		MaxBytes:  int(p.integer(EnvMaxPhotoBytes, imaging.DefaultMaxBytes, 8<<10, 10<<20)),
	}
	if s := strings.TrimSpace(getenv(EnvCrop)); s != "" {
		crop, err := imaging.ParseCrop(s)
		if err != nil {
			p.fail(EnvCrop, err.Error())
		}
		c.Imaging.Crop = crop
	} else {
		c.Imaging.Crop = imaging.CropFace
	}

	if len(c.ContactMetadataKey) > maxMetadataKey || !metadataKeyRE.MatchString(c.ContactMetadataKey) {
		p.fail(EnvContactMetadataKey, fmt.Sprintf("%q is not a metadata key (letters, digits, '.', '_', '-')", c.ContactMetadataKey))
	}
	if c.TokenSecret == "" {
		if requireToken {
			p.fail(EnvTokenSecret, "is required: the Secret Manager secret version holding the refresh token, such as projects/PROJECT/secrets/contacts-token/versions/latest")
		}
	} else if v, err := tokens.ParseVersionName(c.TokenSecret); err != nil {
		p.fail(EnvTokenSecret, err.Error())
	} else {
		c.TokenSecret = v
	}
	if accounts, err := tokens.ParseAccounts(getenv(EnvAccounts)); err != nil {
		p.fail(EnvAccounts, err.Error())
	} else if len(accounts) > 0 {
		c.Accounts = accounts
	}
	if c.PeopleEndpoint != "" {
		u, err := url.Parse(c.PeopleEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.fail(EnvPeopleEndpoint, fmt.Sprintf("%q is not an http(s) base URL", c.PeopleEndpoint))
		} else if !strings.HasSuffix(c.PeopleEndpoint, "/") {
			c.PeopleEndpoint += "/"
		}
	}
	if h := c.SecretManagerEmulatorHost; h != "" && !validHostPort(h) {
		p.fail(EnvSecretManagerEmulatorHost, fmt.Sprintf("%q is not host:port", h))
	}
	if p.errs != nil {
		return nil, fmt.Errorf("configuration: %w", errors.Join(p.errs...))
	}
	return c, nil
}

func validHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n < 65536
}

// envParser collects every configuration problem instead of stopping at the
// first, so that one deployment fixes them all.
type envParser struct {
	getenv func(string) string
	errs   []error
}

func (p *envParser) fail(name, msg string) {
	p.errs = append(p.errs, fmt.Errorf("%s %s", name, msg))
}

func (p *envParser) str(name, def string) string {
	if v := strings.TrimSpace(p.getenv(name)); v != "" {
		return v
	}
	return def
}

func (p *envParser) integer(name string, def, min, max int64) int64 {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		p.fail(name, fmt.Sprintf("%q is not a whole number", v))
		return def
	}
	if n < min || n > max {
		p.fail(name, fmt.Sprintf("%d is out of range [%d, %d]", n, min, max))
		return def
	}
	return n
}

func (p *envParser) boolean(name string, def bool) bool {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, fmt.Sprintf("%q is not true or false", v))
		return def
	}
	return b
}

func (p *envParser) duration(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		p.fail(name, fmt.Sprintf("%q is not a positive duration such as 24h or 90m", v))
		return def
	}
	return d
}
