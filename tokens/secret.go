package tokens

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"regexp"
	"strings"
	"time"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	gax "github.com/googleapis/gax-go/v2"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// Secret Manager call limits. The library's default retries Unavailable for
// up to 60 s, which outlives a function invocation and stalls tests; a short
// bounded retry rides out a blip and leaves longer outages to the event
// retry.
const (
	secretCallTimeout  = 10 * time.Second
	secretRetries      = 2
	secretRetryInitial = 100 * time.Millisecond
	secretRetryMax     = time.Second
)

// NewSecretClient returns a Secret Manager client. When emulatorHost
// (host:port, SECRET_MANAGER_EMULATOR_HOST) is set, it speaks plaintext gRPC
// to that address without credentials; otherwise it uses Application Default
// Credentials. Either way, AccessSecretVersion retries Unavailable and
// ResourceExhausted at most twice, within about a second.
func NewSecretClient(ctx context.Context, emulatorHost string) (*secretmanager.Client, error) {
	var opts []option.ClientOption
	if emulatorHost != "" {
		opts = append(opts,
			option.WithEndpoint(emulatorHost),
			option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
			option.WithTelemetryDisabled(),
		)
	}
	c, err := secretmanager.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tokens: create Secret Manager client: %w", err)
	}
	c.CallOptions.AccessSecretVersion = []gax.CallOption{
		gax.WithTimeout(secretCallTimeout),
		gax.WithRetry(func() gax.Retryer {
			return &boundedRetryer{
				left: secretRetries,
				next: gax.OnCodes([]codes.Code{codes.Unavailable, codes.ResourceExhausted}, gax.Backoff{
					Initial:    secretRetryInitial,
					Max:        secretRetryMax,
					Multiplier: 2,
				}),
			}
		}),
	}
	return c, nil
}

// boundedRetryer stops another retryer after a number of retries.
type boundedRetryer struct {
	left int
	next gax.Retryer
}

func (r *boundedRetryer) Retry(err error) (time.Duration, bool) {
	if r.left <= 0 {
		return 0, false
	}
	r.left--
	return r.next.Retry(err)
}

var (
	// Secret Manager resource names: project IDs or numbers, secret IDs of
	// letters, digits, - and _, versions as numbers or aliases.
	secretNameRE  = regexp.MustCompile(`^projects/[a-z0-9][a-z0-9.:-]{0,62}/secrets/[A-Za-z0-9_-]{1,255}$`)
	versionNameRE = regexp.MustCompile(`^(projects/[a-z0-9][a-z0-9.:-]{0,62}/secrets/[A-Za-z0-9_-]{1,255})/versions/([1-9][0-9]*|latest|[a-z][a-z0-9_-]*)$`)
)

// ParseVersionName checks a secret version name such as
// projects/P/secrets/S/versions/latest. A secret name without a version
// (projects/P/secrets/S) means its latest version.
func ParseVersionName(name string) (string, error) {
	if secretNameRE.MatchString(name) {
		return name + "/versions/latest", nil
	}
	if versionNameRE.MatchString(name) {
		return name, nil
	}
	return "", fmt.Errorf("%q is not a secret version name like projects/PROJECT/secrets/SECRET/versions/latest", name)
}

// ParseSecretName checks a secret name such as projects/P/secrets/S.
func ParseSecretName(name string) (string, error) {
	if secretNameRE.MatchString(name) {
		return name, nil
	}
	if versionNameRE.MatchString(name) {
		return "", fmt.Errorf("%q is a secret version; give the secret, projects/PROJECT/secrets/SECRET", name)
	}
	return "", fmt.Errorf("%q is not a secret name like projects/PROJECT/secrets/SECRET", name)
}

// secretName returns the secret a version name belongs to.
func secretName(version string) string {
	if m := versionNameRE.FindStringSubmatch(version); m != nil {
		return m[1]
	}
	return ""
}

// latestOf returns the latest alias of the secret that version belongs to.
func latestOf(version string) string {
	if s := secretName(version); s != "" {
		return s + "/versions/latest"
	}
	return version
}

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// ErrChecksum reports a payload that does not match the CRC32C Secret
// Manager sent with it. Reading again cannot mend it.
var ErrChecksum = errors.New("the payload does not match its CRC32C checksum: it was corrupted in storage or transit")

// AccessSecret reads a secret version and checks its CRC32C when Secret
// Manager sends one (the client library does not). Errors are the client's
// own, or ErrChecksum. It returns the payload and the resolved version name.
func AccessSecret(ctx context.Context, sm *secretmanager.Client, version string) ([]byte, string, error) {
	resp, err := sm.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: version})
	if err != nil {
		return nil, "", err
	}
	data := resp.GetPayload().GetData()
	if resp.GetPayload().DataCrc32C != nil {
		if int64(crc32.Checksum(data, crc32c)) != resp.GetPayload().GetDataCrc32C() {
			return nil, "", ErrChecksum
		}
	}
	name := resp.GetName()
	if name == "" {
		name = version
	}
	return data, name, nil
}

// AddSecretVersion stores payload as a new version of secret
// (projects/P/secrets/S), creating the secret with automatic replication
// when it does not exist. It returns the new version's name and whether the
// secret was created.
//
// Adding a version needs roles/secretmanager.secretVersionAdder on the
// secret; creating the secret needs roles/secretmanager.admin on the
// project. A PermissionDenied error says which.
func AddSecretVersion(ctx context.Context, sm *secretmanager.Client, secret string, payload []byte) (version string, created bool, err error) {
	if _, err := ParseSecretName(secret); err != nil {
		return "", false, fmt.Errorf("tokens: %w", err)
	}
	sum := int64(crc32.Checksum(payload, crc32c))
	add := func() (string, error) {
		v, err := sm.AddSecretVersion(ctx, &secretmanagerpb.AddSecretVersionRequest{
			Parent:  secret,
			Payload: &secretmanagerpb.SecretPayload{Data: payload, DataCrc32C: &sum},
		})
		if err != nil {
			return "", err
		}
		return v.GetName(), nil
	}
	version, err = add()
	if status.Code(err) == codes.NotFound {
		project, id, _ := strings.Cut(strings.TrimPrefix(secret, "projects/"), "/secrets/")
		_, err = sm.CreateSecret(ctx, &secretmanagerpb.CreateSecretRequest{
			Parent:   "projects/" + project,
			SecretId: id,
			Secret: &secretmanagerpb.Secret{
				Replication: &secretmanagerpb.Replication{
					Replication: &secretmanagerpb.Replication_Automatic_{Automatic: &secretmanagerpb.Replication_Automatic{}},
				},
				Labels: map[string]string{"managed-by": "contactphoto"},
			},
		})
		switch status.Code(err) {
		case codes.OK, codes.AlreadyExists:
		case codes.PermissionDenied:
			return "", false, fmt.Errorf("create secret %s: creating a secret needs roles/secretmanager.admin on projects/%s; "+
				"or create it yourself (gcloud secrets create %s --project %s --replication-policy automatic) and retry: %w",
				secret, project, id, project, err)
		default:
			return "", false, fmt.Errorf("create secret %s: %w", secret, err)
		}
		created = err == nil
		version, err = add()
	}
	switch status.Code(err) {
	case codes.OK:
		return version, created, nil
	case codes.Unauthenticated:
		return "", created, fmt.Errorf("add a version to %s: no usable Google credentials; sign in with "+
			"gcloud auth application-default login: %w", secret, err)
	case codes.PermissionDenied:
		return "", created, fmt.Errorf("add a version to %s: this needs roles/secretmanager.secretVersionAdder on the secret "+
			"(gcloud secrets add-iam-policy-binding %s --member user:YOU --role roles/secretmanager.secretVersionAdder): %w",
			secret, secret, err)
	}
	return "", created, fmt.Errorf("add a version to %s: %w", secret, err)
}
