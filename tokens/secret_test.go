package tokens_test

import (
	"strings"
	"testing"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc/codes"

	"github.com/contactphoto/contactphoto/tokens"
)

func TestAddSecretVersion(t *testing.T) {
	const secret = "projects/p/secrets/contacts"
	for _, tc := range []struct {
		name        string
		setup       func(e *env)
		wantVersion string
		wantCreated bool
		wantErr     string
	}{
		{name: "secret missing", wantVersion: secret + "/versions/1", wantCreated: true},
		{
			name:        "secret exists",
			setup:       func(e *env) { e.secrets.AddVersion(secret, []byte("old")) },
			wantVersion: secret + "/versions/2",
		},
		{
			name: "may not add versions",
			setup: func(e *env) {
				e.secrets.AddVersion(secret, []byte("old"))
				e.secrets.FailNext(1, codes.PermissionDenied)
			},
			wantErr: "roles/secretmanager.secretVersionAdder",
		},
		{
			name:    "may not create secrets",
			setup:   func(e *env) { e.secrets.FailNext(1, codes.PermissionDenied, "CreateSecret") },
			wantErr: "roles/secretmanager.admin on projects/p",
		},
		{
			name:    "not signed in",
			setup:   func(e *env) { e.secrets.FailNext(1, codes.Unauthenticated) },
			wantErr: "gcloud auth application-default login",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			version, created, err := tokens.AddSecretVersion(t.Context(), e.sm, secret, []byte("payload"))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || version != tc.wantVersion || created != tc.wantCreated {
				t.Fatalf("= %q, %v, %v; want %q, %v", version, created, err, tc.wantVersion, tc.wantCreated)
			}
			resp, err := e.sm.AccessSecretVersion(t.Context(), &secretmanagerpb.AccessSecretVersionRequest{Name: version})
			if err != nil || string(resp.GetPayload().GetData()) != "payload" {
				t.Errorf("stored %q, %v", resp.GetPayload().GetData(), err)
			}
		})
	}
	e := newEnv(t)
	if _, _, err := tokens.AddSecretVersion(t.Context(), e.sm, secret+"/versions/1", nil); err == nil {
		t.Error("AddSecretVersion accepted a version name")
	}
}

func TestParseVersionName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"projects/p/secrets/s", "projects/p/secrets/s/versions/latest"},
		{"projects/123456/secrets/my_secret-1/versions/7", "projects/123456/secrets/my_secret-1/versions/7"},
		{"projects/p/secrets/s/versions/latest", "projects/p/secrets/s/versions/latest"},
		{"projects/p/secrets/s/versions/0", ""},
		{"projects/p/secrets/s/versions/", ""},
		{"projects/P/secrets/s", ""},
		{"secrets/s", ""},
		{"projects/p/secrets/s/versions/1/x", ""},
	} {
		got, err := tokens.ParseVersionName(tc.in)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("ParseVersionName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
