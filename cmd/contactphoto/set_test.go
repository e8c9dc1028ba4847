package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactphoto/contactphoto/internal/localstack"
	"github.com/contactphoto/contactphoto/people/peopletest"
	"github.com/contactphoto/contactphoto/tokens"
)

func TestSetCredentialSources(t *testing.T) {
	tests := []struct {
		name    string
		contact string
		account string
		// setup returns the extra arguments and adjusts the environment.
		setup func(t *testing.T, stack *localstack.Stack, dir string) []string
	}{
		{"token file, nothing else", "people/c101", "", func(t *testing.T, stack *localstack.Stack, dir string) []string {
			// No secret, no project, no Secret Manager.
			t.Setenv("TOKEN_SECRET", "")
			t.Setenv("SECRET_MANAGER_EMULATOR_HOST", "")
			stack.Secrets.Close()
			payload, err := json.Marshal(tokens.AuthorizedUser{
				Type: tokens.TypeAuthorizedUser, ClientID: localstack.ClientID, ClientSecret: localstack.ClientSecret,
				RefreshToken: stack.RefreshTokens[""], TokenURI: stack.OAuth.TokenURL(),
			})
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, "token.json")
			if err := os.WriteFile(file, payload, 0o600); err != nil {
				t.Fatal(err)
			}
			return []string{"--token-file", file}
		}},
		{"secret flag", "people/c102", "", func(t *testing.T, stack *localstack.Stack, dir string) []string {
			t.Setenv("TOKEN_SECRET", "")
			return []string{"--secret", "projects/" + localstack.Project + "/secrets/contactphoto-token"}
		}},
		{"TOKEN_SECRET", "people/c103", "", func(t *testing.T, stack *localstack.Stack, dir string) []string {
			return nil
		}},
		{"an account of ACCOUNTS", "people/c104", "work", func(t *testing.T, stack *localstack.Stack, dir string) []string {
			t.Setenv("TOKEN_SECRET", "")
			return []string{"--account", "work"}
		}},
		{"secret flag for an account", "people/c105", "work", func(t *testing.T, stack *localstack.Stack, dir string) []string {
			t.Setenv("ACCOUNTS", "")
			return []string{"--account", "work", "--secret", stack.AccountSecrets["work"]}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stack := startStack(t, &localstack.Options{Accounts: []string{"work"}, People: peopletest.Options{WriteQuota: -1}})
			stack.People.AddContact(tt.account, tt.contact)
			dir := t.TempDir()
			in := filepath.Join(dir, "portrait.jpg")
			writeFile(t, in, testPhoto(t, 3))
			args := append([]string{"set"}, tt.setup(t, stack, dir)...)
			args = append(args, "--open", strings.TrimPrefix(tt.contact, "people/"), in)

			code, out, errOut := runCLI(context.Background(), args...)
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			got, ok := stack.People.Photo(tt.account, tt.contact)
			if !ok || len(stack.People.Updates()) != 1 {
				t.Fatalf("the People API has %d updates and no photo for %s", len(stack.People.Updates()), tt.contact)
			}
			for _, want := range []string{"Updated the photo of " + tt.contact, "input   JPEG 48x40", "sent    32x32 JPEG", "crop    40x40"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			sent, err := os.ReadFile(filepath.Join(dir, "portrait.sent.jpg"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sent, got.Photo) {
				t.Errorf("--open wrote %d bytes, the People API received %d different ones", len(sent), len(got.Photo))
			}
			if !strings.Contains(out, "no image viewer") {
				t.Errorf("without a display, the output should say nothing was opened:\n%s", out)
			}
		})
	}
}

func TestSetOut(t *testing.T) {
	stack := startStack(t, nil)
	stack.People.AddContact("", "people/c7", "bob@example.com")
	dir := t.TempDir()
	in := filepath.Join(dir, "bob.jpg")
	writeFile(t, in, testPhoto(t, 7))
	out := filepath.Join(dir, "sent", "bob-contact.jpg")
	os.MkdirAll(filepath.Dir(out), 0o755)
	code, stdout, errOut := runCLI(context.Background(), "set", "--crop", "none", "--out", out, "bob@example.com", in)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(stdout, "people/c7 (bob@example.com)") || !strings.Contains(stdout, "whole image") {
		t.Errorf("output does not name the contact found by email and the crop:\n%s", stdout)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil || format != "jpeg" || cfg.Width != 32 || cfg.Height != 27 {
		t.Errorf("--out holds a %dx%d %s (%v), want the uncropped 32x27 JPEG", cfg.Width, cfg.Height, format, err)
	}
}

func TestSetFailures(t *testing.T) {
	stack := startStack(t, nil)
	dir := t.TempDir()
	photo := filepath.Join(dir, "p.jpg")
	writeFile(t, photo, testPhoto(t, 1))
	text := filepath.Join(dir, "notes.jpg")
	writeFile(t, text, []byte("not an image"))
	stack.People.AddContact("", "people/c1")

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown contact", []string{"set", "c404", photo}, "no such contact"},
		{"not an image", []string{"set", "c1", text}, "format"},
		{"missing file", []string{"set", "c1", filepath.Join(dir, "nope.jpg")}, "no such file"},
		{"missing secret", []string{"set", "--secret", "projects/" + localstack.Project + "/secrets/nope", "c1", photo}, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(context.Background(), tt.args...)
			if code != 1 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errOut, tt.want)
			}
		})
	}
	if n := len(stack.People.Updates()); n != 0 {
		t.Errorf("failed runs stored %d photos", n)
	}
}

func TestUsage(t *testing.T) {
	startStack(t, nil)
	dir := t.TempDir()
	photo := filepath.Join(dir, "p.jpg")
	writeFile(t, photo, testPhoto(t, 1))

	tests := []struct {
		name string
		args []string
		want string
		env  map[string]string
	}{
		{"set without arguments", []string{"set"}, "want CONTACT and PHOTO_FILE", nil},
		{"set with one argument", []string{"set", "c1"}, "want CONTACT and PHOTO_FILE", nil},
		{"set with a bad contact", []string{"set", "people/../c1", photo}, "CONTACT", nil},
		{"set with two credential sources", []string{"set", "--token-file", "t.json", "--secret", "projects/p/secrets/s", "c1", photo}, "at most one", nil},
		{"set with a bad secret", []string{"set", "--secret", "my-secret", "c1", photo}, "--secret", nil},
		{"set with a bad crop", []string{"set", "--crop", "diamond", "c1", photo}, "--crop", nil},
		{"set with an account and a token file", []string{"set", "--token-file", "t.json", "--account", "a", "c1", photo}, "--account", nil},
		{"set with no credentials", []string{"set", "c1", photo}, "no credentials", map[string]string{"TOKEN_SECRET": ""}},
		{"set with an account without credentials", []string{"set", "--account", "bob", "c1", photo}, `account "bob" has no credentials`, nil},
		{"set with a bad environment", []string{"set", "c1", photo}, "PHOTO_SIZE", map[string]string{"PHOTO_SIZE": "huge"}},
		{"set with an unknown flag", []string{"set", "--colour", "c1", photo}, "flag provided but not defined", nil},
		{"backfill without arguments", []string{"backfill"}, "want one gs://BUCKET", nil},
		{"backfill with two targets", []string{"backfill", dir, dir}, "want one gs://BUCKET", nil},
		{"backfill of gs:// alone", []string{"backfill", "gs://"}, "does not name a bucket", nil},
		{"backfill of a bad bucket", []string{"backfill", "gs://My_Bucket/x"}, "does not name a bucket", nil},
		{"backfill of a missing folder", []string{"backfill", filepath.Join(dir, "nope")}, "neither", nil},
		{"backfill of a file", []string{"backfill", photo}, "neither", nil},
		{"backfill with no workers", []string{"backfill", "--workers", "0", dir}, "--workers", nil},
		{"backfill too fast", []string{"backfill", "--writes-per-minute", "7000", dir}, "--writes-per-minute", nil},
		{"backfill of a bucket with an account", []string{"backfill", "--account", "a", "gs://b"}, "--account is for a DIR", nil},
		{"backfill with no credentials", []string{"backfill", dir}, "no credentials", map[string]string{"TOKEN_SECRET": ""}},
		{"unknown command", []string{"sett"}, "unknown command", nil},
		{"no command", nil, "Usage:", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			r := runBinary(t, nil, tt.args...)
			code, out, errOut := r.code, r.stdout, r.stderr
			if code != 2 || !strings.Contains(errOut, tt.want) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 2, nothing on stdout, and %q on stderr", code, out, errOut, tt.want)
			}
			// The error once, the usage line at most once, and not the
			// whole list of flags.
			n := 0
			for _, l := range strings.Split(errOut, "\n") {
				if strings.Contains(l, tt.want) && !strings.HasPrefix(l, "Usage:") {
					n++
				}
			}
			if n != 1 && tt.want != "Usage:" {
				t.Errorf("the error %q is said %d times on stderr:\n%s", tt.want, n, errOut)
			}
			if strings.Count(errOut, "Usage: contactphoto") > 1 || strings.Contains(errOut, "Flags:") {
				t.Errorf("stderr repeats the usage or lists every flag:\n%s", errOut)
			}
		})
	}
}

// TestHelp runs the binary: help that is asked for goes to stdout, in
// every spelling, and nothing to stderr.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		r := runBinary(t, nil, args...)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("%v exited %d with stderr %q", args, r.code, r.stderr)
		}
		for _, c := range commands {
			if !strings.Contains(r.stdout, "\n  "+c.name+" ") || c.summary == "" || strings.Contains(c.summary, "\n") {
				t.Errorf("%v does not list %q with a one-line summary:\n%s", args, c.name, r.stdout)
			}
		}
	}
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			for _, args := range [][]string{{c.name, "-h"}, {c.name, "--help"}, {"help", c.name}} {
				r := runBinary(t, nil, args...)
				help := r.stdout
				if r.code != 0 || r.stderr != "" || !strings.Contains(help, "Usage: contactphoto "+c.name) || !strings.Contains(help, "Flags:") ||
					!strings.Contains(help, "Example:\n  ") || !strings.Contains(help, "contactphoto "+c.name) {
					t.Errorf("%v exited %d with stderr %q and no usage, flags or example on stdout:\n%s", args, r.code, r.stderr, help)
				}
			}
		})
	}
}
