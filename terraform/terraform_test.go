// Package terraform_test ties the Terraform configuration in this directory
// to the code it deploys, with the HCL parser and the repository alone.
// What the configuration evaluates to (grants, filters, regions, waits) is
// checked by terraform test (tests/*.tftest.hcl) against the real provider;
// these tests check what only the code knows, and the order of creation.
//
// They check that each entry_point is a function the root package
// registers; that the event types are the ones the code handles; that the
// functions set exactly the environment variables LoadConfig reads, with
// defaults that give LoadConfig's own defaults and validations that refuse
// what LoadConfig refuses; that nothing uses an API before the wait after
// enabling it, and no function or trigger comes before the wait after the
// grants; that the source zip's allow-list covers the packages the root
// links and what they embed; and that no secret value passes through
// Terraform. TestMutations proves each check fails when the configuration
// breaks it.
package terraform_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/contactphoto/contactphoto"
)

var loadFacts = sync.OnceValues(func() (*facts, error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return nil, err
	}
	regs, exported, consts, err := registrations(root)
	if err != nil {
		return nil, err
	}
	linked, embedded, err := linkedPackages(root)
	if err != nil {
		return nil, err
	}
	var eventTypes []string
	for _, v := range consts {
		if strings.HasPrefix(v, "google.cloud.storage.object.v1.") {
			eventTypes = append(eventTypes, v)
		}
	}
	runtime, err := goRuntime(root)
	if err != nil {
		return nil, err
	}
	return &facts{
		root:          root,
		registrations: regs,
		exported:      exported,
		configVars:    contactphoto.ConfigVariables,
		emulatorVars:  contactphoto.EmulatorVariables,
		platformVars:  contactphoto.PlatformVariables,
		eventEntry:    contactphoto.EventFunctionName,
		webhookEntry:  contactphoto.WebhookFunctionName,
		eventType:     contactphoto.FinalizedEventType,
		runtime:       runtime,
		eventTypes:    eventTypes,
		linked:        linked,
		embedded:      embedded,
	}, nil
})

func mustFacts(t *testing.T) *facts {
	t.Helper()
	f, err := loadFacts()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestConfiguration(t *testing.T) {
	f := mustFacts(t)
	m, err := loadModule(".", ".")
	if err != nil {
		t.Fatal(err)
	}
	r := checkAll(m, f)
	for _, p := range r.problems {
		t.Error(p)
	}
	for _, p := range r.pending {
		// The configuration is ahead of the code here; the check starts to
		// bite as soon as the code declares the function.
		t.Logf("not checked yet: %s", p)
	}
}

// mutation replaces old with new, once, in a copy of file.
type mutation struct {
	name      string
	file      string
	old, new  string
	wantCheck string // the problem's prefix: the check in charge
	wantText  string // and a part of its message
}

// TestMutations breaks the configuration one way at a time, in a copy, and
// checks that the check in charge reports it.
func TestMutations(t *testing.T) {
	f := mustFacts(t)
	tests := []mutation{
		// entry_point
		{"event entry point renamed", "functions.tf",
			`entry_point           = "UpdateContactPhoto"`, `entry_point           = "UpdateContactPhotos"`,
			"entry_point", `"UpdateContactPhotos" is not registered`},
		{"webhook entry point misspelt", "functions.tf",
			`entry_point           = "UpdateContactPhotoWebhook"`, `entry_point           = "UpdateContactPhotoHook"`,
			"entry_point", `"UpdateContactPhotoHook" is not registered`},
		{"event function built as HTTP", "functions.tf",
			`entry_point           = "UpdateContactPhotoWebhook"`, `entry_point           = "UpdateContactPhoto"`,
			"entry_point", "registered with functions.CloudEvent, but the function is triggered as HTTP"},
		{"old runtime", "functions.tf",
			`runtime               = "go126"
    entry_point           = "UpdateContactPhoto"`, `runtime           = "go125"
    entry_point           = "UpdateContactPhoto"`,
			"entry_point", `runtime is "go125"`},

		// event
		{"event type", "functions.tf",
			`"google.cloud.storage.object.v1.finalized"`, `"google.cloud.storage.object.v1.archived"`,
			"event", "event_type is"},
		{"second trigger on deletions", "functions.tf",
			`value     = "google.cloud.storage.object.v1.metadataUpdated"`, `value     = "google.cloud.storage.object.v1.deleted"`,
			"event", `want exactly "google.cloud.storage.object.v1.metadataUpdated"`},
		{"second trigger delivering elsewhere", "functions.tf",
			`service = reverse(split("/", google_cloudfunctions2_function.event.service_config[0].service))[0]`, `service = "contactphoto-other"`,
			"event", "must deliver to the event function's Cloud Run service"},
		{"second trigger as another identity", "functions.tf",
			`service_account = time_sleep.iam.triggers["trigger"]`, `service_account = time_sleep.iam.triggers["event"]`,
			"event", "both must use the same identity"},

		// env
		{"a Config variable not set", "functions.tf",
			"    PHOTO_SIZE               = var.photo_size\n", "",
			"env", "does not set PHOTO_SIZE, which LoadConfig reads"},
		{"a variable the code does not read", "functions.tf",
			"    CROP                     = var.crop\n", "    CROP                     = var.crop\n    CROP_MODE                = var.crop\n",
			"env", "sets CROP_MODE, which LoadConfig does not read"},
		{"an emulator variable set", "functions.tf",
			"    CROP                     = var.crop\n", "    CROP                     = var.crop\n    PEOPLE_API_ENDPOINT      = \"https://people.googleapis.com/\"\n",
			"env", "sets PEOPLE_API_ENDPOINT, which points the function at a local stand-in"},
		{"a variable Cloud Run sets", "functions.tf",
			"    CROP                     = var.crop\n", "    CROP                     = var.crop\n    K_SERVICE                = \"contactphoto\"\n",
			"env", "sets K_SERVICE, which Cloud Run sets itself"},
		{"webhook key given to the event function", "functions.tf",
			"    STATUS_WRITEBACK         = var.status_writeback\n", "    STATUS_WRITEBACK         = var.status_writeback\n    WEBHOOK_SECRET           = \"x\"\n",
			"env", "the event function sets WEBHOOK_SECRET"},
		{"token secret not the managed one", "functions.tf",
			`TOKEN_SECRET             = "${google_secret_manager_secret.token.id}/versions/latest"`, `TOKEN_SECRET             = "projects/p/secrets/s/versions/latest"`,
			"env", "TOKEN_SECRET must name google_secret_manager_secret.token"},
		{"environment of unknown shape", "functions.tf",
			"environment_variables = { for name, value in local.environment : name => value if value != \"\" }",
			"environment_variables = { for name, value in local.environment : lower(name) => value }",
			"env", "only `for k, v in x : k => v` filters"},

		// defaults
		{"photo size default drifts", "variables.tf",
			"  default     = 720\n", "  default     = 800\n",
			"defaults", "differ from LoadConfig's"},
		{"metadata key default drifts", "variables.tf",
			`default     = "resourceName"`, `default     = "contact"`,
			"defaults", "differ from LoadConfig's"},
		{"event age default drifts", "variables.tf",
			`default     = "24h"`, `default     = "48h"`,
			"defaults", "differ from LoadConfig's"},

		// validation
		{"photo size validation wider than the code", "variables.tf",
			"var.photo_size <= 2000", "var.photo_size <= 4000",
			"validation", `variable "photo_size" accepts 2001`},
		{"photo bytes validation missing its floor", "variables.tf",
			"var.max_photo_bytes >= 8192 && ", "",
			"validation", `variable "max_photo_bytes" accepts 8191`},
		{"crop validation gone", "variables.tf",
			`contains(["face", "center", "none"], var.crop)`, `true`,
			"validation", `variable "crop" accepts "bogus"`},
		{"event age validation lets zero through", "variables.tf",
			` && can(regex("[1-9]", var.max_event_age))`, ``,
			"validation", `variable "max_event_age" accepts "0s"`},
		{"default fails its own validation", "variables.tf",
			`default     = "256M"`, `default     = "300M"`,
			"validation", `variable "memory": the default fails its own validation`},

		// order
		{"a trigger not waiting for the grants", "functions.tf",
			"resource \"google_eventarc_trigger\" \"metadata_updated\" {",
			"resource \"google_eventarc_trigger\" \"early\" {\n  name            = \"early\"\n  location        = var.region\n  service_account = google_service_account.trigger.email\n}\n\nresource \"google_eventarc_trigger\" \"metadata_updated\" {",
			"order", "google_eventarc_trigger.early does not come after time_sleep.iam"},
		{"a grant the wait leaves out", "iam.tf",
			"    google_secret_manager_secret_iam_member.event_tokens,\n", "",
			"order", "google_secret_manager_secret_iam_member.event_tokens is not among what time_sleep.iam waits for"},
		{"a secret before the APIs are ready", "secrets.tf",
			"resource \"google_secret_manager_secret\" \"token\" {\n  secret_id = var.token_secret_id\n\n  replication {\n    auto {}\n  }\n\n  depends_on = [time_sleep.apis]\n",
			"resource \"google_secret_manager_secret\" \"token\" {\n  secret_id = var.token_secret_id\n\n  replication {\n    auto {}\n  }\n\n  depends_on = [google_project_service.apis]\n",
			"order", "google_secret_manager_secret.token does not come after time_sleep.apis"},
		{"the storage agent read before the APIs are ready", "iam.tf",
			"data \"google_storage_project_service_account\" \"gcs\" {\n  depends_on = [time_sleep.apis]\n}",
			"data \"google_storage_project_service_account\" \"gcs\" {\n}",
			"order", "data.google_storage_project_service_account.gcs does not come after time_sleep.apis"},

		// zip
		{"a linked package's tree left out", "source.tf",
			`source_trees = ["gcs", "imaging", "internal/cloudlog", "internal/membudget", "internal/redact", "people", "tokens"]`, `source_trees = ["gcs", "imaging", "internal/cloudlog", "internal/membudget", "internal/redact", "tokens"]`,
			"zip", "the zip lacks people/, which the root package links"},
		{"a tree whose packages import what the zip lacks", "source.tf",
			`source_trees = ["gcs", "imaging", "internal/cloudlog", "internal/membudget", "internal/redact", "people", "tokens"]`, `source_trees = ["gcs", "imaging", "internal", "people", "tokens"]`,
			"zip", "the zip holds internal/localstack/, which imports"},
		{"embedded cascade left out", "source.tf",
			`"imaging/cascade/facefinder",`, ``,
			"zip", "the zip lacks imaging/cascade/facefinder, which //go:embed reads"},
		{"embedded Haar cascade left out", "source.tf",
			`"imaging/cascade/haarcascade_profileface.xml",`, ``,
			"zip", "the zip lacks imaging/cascade/haarcascade_profileface.xml, which //go:embed reads"},
		{"embedded face network weights left out", "source.tf",
			`"imaging/model/tiny_face_detector_model.bin",`, ``,
			"zip", "the zip lacks imaging/model/tiny_face_detector_model.bin, which //go:embed reads"},
		{"an asset nothing embeds", "source.tf",
			`"imaging/cascade/facefinder",`, `"imaging/cascade/facefinder", "README.md",`,
			"zip", "local.source_assets lists README.md"},
		{"a deny-list in the excludes", "source.tf",
			`excludes    = local.source_excludes`, `excludes    = concat(local.source_excludes, ["bench"])`,
			"zip", "must be derived from local.source_files"},
		{"source from the parent of the repository", "source.tf",
			`source_root = "${path.module}/.."`, `source_root = "${path.module}/../.."`,
			"zip", "local.source_root is not the module root"},
		{"object not named by hash", "source.tf",
			`"contactphoto-${data.archive_file.source.output_sha256}.zip"`, `"contactphoto.zip"`,
			"zip", "named by the zip's hash"},

		// secrets
		{"token value in the state", "secrets.tf",
			"locals {", "resource \"google_secret_manager_secret_version\" \"token\" {\n  secret      = google_secret_manager_secret.token.id\n  secret_data = \"x\"\n}\n\nlocals {",
			"secrets", "would be stored in the Terraform state"},

		// docs
		{"undocumented variable", "variables.tf",
			`description = "How the square is chosen: face, center or none (CROP)."`, ``,
			"docs", `variable "crop" has no description`},
	}

	// Every check must be shown to bite.
	for _, c := range checks {
		if !slices.ContainsFunc(tests, func(tt mutation) bool { return tt.wantCheck == c.name }) {
			t.Errorf("no mutation breaks the %s check", c.name)
		}
	}

	src, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	names, err := filepath.Glob(filepath.Join(src, "*.tf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			found := false
			for _, name := range names {
				text, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				s := string(text)
				if filepath.Base(name) == tt.file {
					if n := strings.Count(s, tt.old); n != 1 {
						t.Fatalf("%s holds %d copies of the text to mutate, want 1: %q", tt.file, n, tt.old)
					}
					s = strings.Replace(s, tt.old, tt.new, 1)
					found = true
				}
				if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), []byte(s), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if !found {
				t.Fatalf("no file %s", tt.file)
			}
			m, err := loadModule(dir, src)
			if err != nil {
				t.Fatal(err)
			}
			r := checkAll(m, f)
			for _, p := range r.problems {
				if strings.HasPrefix(p, tt.wantCheck+": ") && strings.Contains(p, tt.wantText) {
					return
				}
			}
			t.Errorf("no %s problem mentioning %q; got:\n%s", tt.wantCheck, tt.wantText, strings.Join(r.problems, "\n"))
		})
	}
}
