package contactphoto

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/contactphoto/contactphoto/imaging"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

const testSecret = "projects/p/secrets/contactphoto-token/versions/latest"

func TestLoadConfigDefaults(t *testing.T) {
	got, err := LoadConfig(env(map[string]string{EnvTokenSecret: testSecret}))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		ContactMetadataKey: "resourceName",
		MaxObjectBytes:     40 << 20,
		Imaging: imaging.Options{
			Size: 720, Crop: imaging.CropFace, MaxPixels: imaging.DefaultMaxPixels, MaxBytes: 300 << 10,
		},
		TokenSecret:     testSecret,
		WritesPerMinute: 50,
		MaxEventAge:     24 * time.Hour,
		StatusWriteback: true,
		Service:         "contactphoto",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadConfig defaults (-want +got):\n%s", diff)
	}
}

func TestLoadConfigValues(t *testing.T) {
	got, err := LoadConfig(env(map[string]string{
		EnvTokenSecret:               testSecret,
		EnvAccounts:                  "alice=projects/p/secrets/alice/versions/3, bob=projects/p/secrets/bob/versions/latest",
		EnvContactMetadataKey:        "contact",
		EnvContactFromFilename:       "true",
		EnvMaxObjectBytes:            "1048576",
		EnvPhotoSize:                 "512",
		EnvCrop:                      "Center",
		EnvMaxPixels:                 "5000000",
		EnvMaxPhotoBytes:             "102400",
		EnvPeopleEndpoint:            "http://127.0.0.1:9000",
		EnvWritesPerMinute:           "30",
		EnvPersonFields:              "photos",
		EnvSecretManagerEmulatorHost: "127.0.0.1:9001",
		EnvStorageEmulatorHost:       "127.0.0.1:9002",
		EnvMaxEventAge:               "90m",
		EnvStatusWriteback:           "false",
		EnvWebhookSecret:             "projects/p/secrets/webhook-key/versions/2",
		EnvWebhookBuckets:            "photos-a, photos.b",
		"K_SERVICE":                  "contactphoto-fn",
		"K_REVISION":                 "contactphoto-fn-00003-abc",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		ContactMetadataKey:  "contact",
		ContactFromFilename: true,
		MaxObjectBytes:      1 << 20,
		Imaging:             imaging.Options{Size: 512, Crop: imaging.CropCenter, MaxPixels: 5000000, MaxBytes: 100 << 10},
		TokenSecret:         testSecret,
		Accounts: map[string]string{
			"alice": "projects/p/secrets/alice/versions/3",
			"bob":   "projects/p/secrets/bob/versions/latest",
		},
		PeopleEndpoint:            "http://127.0.0.1:9000/",
		WritesPerMinute:           30,
		PersonFields:              "photos",
		SecretManagerEmulatorHost: "127.0.0.1:9001",
		StorageEmulatorHost:       "127.0.0.1:9002",
		MaxEventAge:               90 * time.Minute,
		WebhookSecret:             "projects/p/secrets/webhook-key/versions/2",
		WebhookBuckets:            []string{"photos-a", "photos.b"},
		Service:                   "contactphoto-fn",
		Version:                   "contactphoto-fn-00003-abc",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadConfig (-want +got):\n%s", diff)
	}
}

func TestLoadConfigErrorsNameTheirVariable(t *testing.T) {
	tests := []struct {
		variable, value string
	}{
		{EnvTokenSecret, ""},
		{EnvTokenSecret, "my-secret"},
		{EnvAccounts, "alice"},
		{EnvAccounts, "alice=projects/p/secrets/a/versions/1,alice=projects/p/secrets/b/versions/1"},
		{EnvContactMetadataKey, "has space"},
		{EnvContactFromFilename, "yes please"},
		{EnvMaxObjectBytes, "40MB"},
		{EnvMaxObjectBytes, "0"},
		{EnvPhotoSize, "4"},
		{EnvPhotoSize, "100000"},
		{EnvCrop, "smart"},
		{EnvMaxPixels, "-1"},
		{EnvMaxPhotoBytes, "10"},
		{EnvPeopleEndpoint, "people.googleapis.com"},
		{EnvWritesPerMinute, "0"},
		{EnvSecretManagerEmulatorHost, "localhost"},
		{EnvMaxEventAge, "1 day"},
		{EnvMaxEventAge, "-1h"},
		{EnvStatusWriteback, "sometimes"},
		{EnvWebhookSecret, "webhook-key"},
		{EnvWebhookBuckets, "Bad_Bucket!"},
	}
	for _, tt := range tests {
		t.Run(tt.variable+"="+tt.value, func(t *testing.T) {
			m := map[string]string{EnvTokenSecret: testSecret}
			m[tt.variable] = tt.value
			_, err := LoadConfig(env(m))
			if err == nil {
				t.Fatalf("%s=%q was accepted", tt.variable, tt.value)
			}
			if !strings.Contains(err.Error(), tt.variable) {
				t.Errorf("error %q does not name %s", err, tt.variable)
			}
		})
	}
}

func TestLoadConfigReportsEveryProblem(t *testing.T) {
	_, err := LoadConfig(env(map[string]string{EnvPhotoSize: "x", EnvCrop: "smart"}))
	if err == nil {
		t.Fatal("invalid configuration accepted")
	}
	for _, v := range []string{EnvTokenSecret, EnvPhotoSize, EnvCrop} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error %q does not mention %s", err, v)
		}
	}
}

func TestLoadToolConfigNeedsNoTokenSecret(t *testing.T) {
	want, err := LoadConfig(env(map[string]string{EnvTokenSecret: testSecret}))
	if err != nil {
		t.Fatal(err)
	}
	want.TokenSecret = ""
	got, err := LoadToolConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadToolConfig (-want +got):\n%s", diff)
	}
	if _, err := LoadToolConfig(env(map[string]string{EnvPhotoSize: "huge"})); err == nil {
		t.Error("LoadToolConfig accepted an invalid PHOTO_SIZE")
	}
}
