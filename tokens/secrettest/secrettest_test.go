package secrettest_test

import (
	"context"
	"hash/crc32"
	"testing"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/contactphoto/contactphoto/tokens"
	"github.com/contactphoto/contactphoto/tokens/secrettest"
)

func newClient(t *testing.T) (*secrettest.Server, *secretmanager.Client) {
	t.Helper()
	srv, err := secrettest.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	c, err := tokens.NewSecretClient(context.Background(), srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

var automatic = &secretmanagerpb.Replication{
	Replication: &secretmanagerpb.Replication_Automatic_{Automatic: &secretmanagerpb.Replication_Automatic{}},
}

func crc(b []byte) *int64 {
	v := int64(crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
	return &v
}

func TestLifecycle(t *testing.T) {
	_, c := newClient(t)
	ctx := t.Context()
	sec, err := c.CreateSecret(ctx, &secretmanagerpb.CreateSecretRequest{
		Parent: "projects/p", SecretId: "s", Secret: &secretmanagerpb.Secret{Replication: automatic},
	})
	if err != nil {
		t.Fatal(err)
	}
	if sec.GetName() != "projects/p/secrets/s" {
		t.Errorf("created %q", sec.GetName())
	}
	if got, err := c.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: "projects/p/secrets/s"}); err != nil || got.GetName() != sec.GetName() {
		t.Errorf("GetSecret = %v, %v", got, err)
	}
	for i, data := range []string{"one", "two"} {
		v, err := c.AddSecretVersion(ctx, &secretmanagerpb.AddSecretVersionRequest{
			Parent: "projects/p/secrets/s", Payload: &secretmanagerpb.SecretPayload{Data: []byte(data), DataCrc32C: crc([]byte(data))},
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := "projects/p/secrets/s/versions/" + string(rune('1'+i)); v.GetName() != want || v.GetState() != secretmanagerpb.SecretVersion_ENABLED {
			t.Errorf("added %q in state %v, want %q ENABLED", v.GetName(), v.GetState(), want)
		}
	}
	for _, tc := range []struct{ name, wantName, wantData string }{
		{"projects/p/secrets/s/versions/latest", "projects/p/secrets/s/versions/2", "two"},
		{"projects/p/secrets/s/versions/1", "projects/p/secrets/s/versions/1", "one"},
	} {
		resp, err := c.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: tc.name})
		if err != nil {
			t.Fatalf("access %s: %v", tc.name, err)
		}
		if resp.GetName() != tc.wantName || string(resp.GetPayload().GetData()) != tc.wantData {
			t.Errorf("access %s = %q %q, want %q %q", tc.name, resp.GetName(), resp.GetPayload().GetData(), tc.wantName, tc.wantData)
		}
		if resp.GetPayload().DataCrc32C == nil || *resp.GetPayload().DataCrc32C != *crc([]byte(tc.wantData)) {
			t.Errorf("access %s: CRC32C %v, want %d", tc.name, resp.GetPayload().DataCrc32C, *crc([]byte(tc.wantData)))
		}
	}
	if _, err := c.DisableSecretVersion(ctx, &secretmanagerpb.DisableSecretVersionRequest{Name: "projects/p/secrets/s/versions/2"}); err != nil {
		t.Fatal(err)
	}
	// latest names the newest version even when it is disabled.
	_, err = c.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: "projects/p/secrets/s/versions/latest"})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("access latest after disabling it: %v, want FailedPrecondition", err)
	}
}

func TestErrors(t *testing.T) {
	srv, c := newClient(t)
	if _, err := srv.AddVersion("projects/p/secrets/s", []byte("x")); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	access := func(name string) error {
		_, err := c.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: name})
		return err
	}
	add := func(parent string, p *secretmanagerpb.SecretPayload) error {
		_, err := c.AddSecretVersion(ctx, &secretmanagerpb.AddSecretVersionRequest{Parent: parent, Payload: p})
		return err
	}
	create := func(parent, id string, r *secretmanagerpb.Replication) error {
		_, err := c.CreateSecret(ctx, &secretmanagerpb.CreateSecretRequest{Parent: parent, SecretId: id, Secret: &secretmanagerpb.Secret{Replication: r}})
		return err
	}
	wrong := int64(12345)
	for _, tc := range []struct {
		name string
		err  error
		want codes.Code
	}{
		{"access unknown secret", access("projects/p/secrets/t/versions/latest"), codes.NotFound},
		{"access unknown version", access("projects/p/secrets/s/versions/9"), codes.NotFound},
		{"access version 0", access("projects/p/secrets/s/versions/0"), codes.InvalidArgument},
		{"access without version", access("projects/p/secrets/s"), codes.InvalidArgument},
		{"access bad secret id", access("projects/p/secrets/a.b/versions/1"), codes.InvalidArgument},
		{"access path traversal", access("projects/p/secrets/../versions/1"), codes.InvalidArgument},
		{"add to unknown secret", add("projects/p/secrets/t", &secretmanagerpb.SecretPayload{Data: []byte("x")}), codes.NotFound},
		{"add without payload", add("projects/p/secrets/s", nil), codes.InvalidArgument},
		{"add with wrong checksum", add("projects/p/secrets/s", &secretmanagerpb.SecretPayload{Data: []byte("x"), DataCrc32C: &wrong}), codes.InvalidArgument},
		{"add over 64 KiB", add("projects/p/secrets/s", &secretmanagerpb.SecretPayload{Data: make([]byte, 64<<10+1)}), codes.InvalidArgument},
		{"create existing", create("projects/p", "s", automatic), codes.AlreadyExists},
		{"create without replication", create("projects/p", "u", nil), codes.InvalidArgument},
		{"create bad id", create("projects/p", "a/b", automatic), codes.InvalidArgument},
		{"create bad parent", create("p", "u", automatic), codes.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status.Code(tc.err) != tc.want {
				t.Errorf("got %v, want %v", tc.err, tc.want)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	srv, c := newClient(t)
	v, err := srv.AddVersion("projects/p/secrets/s", []byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext(1, codes.Unavailable)
	if _, err := c.GetSecret(t.Context(), &secretmanagerpb.GetSecretRequest{Name: "projects/p/secrets/s"}); status.Code(err) != codes.Unavailable {
		t.Errorf("GetSecret during a fault: %v, want Unavailable", err)
	}
	if _, err := c.GetSecret(t.Context(), &secretmanagerpb.GetSecretRequest{Name: "projects/p/secrets/s"}); err != nil {
		t.Errorf("GetSecret after the fault: %v", err)
	}
	if err := srv.CorruptData(v); err != nil {
		t.Fatal(err)
	}
	resp, err := c.AccessSecretVersion(t.Context(), &secretmanagerpb.AccessSecretVersionRequest{Name: v})
	if err != nil {
		t.Fatal(err)
	}
	if *resp.GetPayload().DataCrc32C == *crc(resp.GetPayload().GetData()) {
		t.Error("corrupted data still matches its checksum")
	}
	if got := srv.Calls("GetSecret"); got != 2 {
		t.Errorf("Calls(GetSecret) = %d, want 2", got)
	}
}
