// Package terraform_test ties the Terraform configuration in this directory
// to the code it deploys. terraform validate needs the providers, which
// cannot be downloaded everywhere the tests run; these tests need only the
// HCL parser and the repository.
//
// They check that each entry_point is a function the root package
// registers; that the functions set exactly the environment variables
// LoadConfig reads, with defaults that give LoadConfig's own defaults and
// validations that refuse what LoadConfig refuses; the event trigger's type,
// bucket filter, retry policy and identity; that allUsers is reachable only
// through webhook_public; that IAM grants stay within the least-privilege
// list; and that the source zip holds the build's inputs and no tests.
// TestMutations proves each check fails when the configuration breaks it.
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
	regs, exported, err := registrations(root)
	if err != nil {
		return nil, err
	}
	inputs, err := buildInputs(root)
	if err != nil {
		return nil, err
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
		buildInputs:   inputs,
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

// TestIAMBindings lists every grant the configuration makes (run with -v).
func TestIAMBindings(t *testing.T) {
	m, err := loadModule(".", ".")
	if err != nil {
		t.Fatal(err)
	}
	r := &report{}
	bindings := iamBindings(r, m)
	for _, p := range r.problems {
		t.Error(p)
	}
	if len(bindings) == 0 {
		t.Fatal("no IAM bindings found")
	}
	for _, b := range bindings {
		t.Logf("%-55s %-40s on %s to %s", b.resource, b.role, b.on, b.member)
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
			`entry_point     = "UpdateContactPhoto"`, `entry_point     = "UpdateContactPhotos"`,
			"entry_point", `"UpdateContactPhotos" is not registered`},
		{"webhook entry point misspelt", "functions.tf",
			`entry_point     = "UpdateContactPhotoWebhook"`, `entry_point     = "UpdateContactPhotoHook"`,
			"entry_point", `"UpdateContactPhotoHook" is not registered`},
		{"event function built as HTTP", "functions.tf",
			`entry_point     = "UpdateContactPhotoWebhook"`, `entry_point     = "UpdateContactPhoto"`,
			"entry_point", "registered with functions.CloudEvent, but the function is triggered as HTTP"},
		{"old runtime", "functions.tf",
			`runtime         = "go126"
    entry_point     = "UpdateContactPhoto"`, `runtime         = "go125"
    entry_point     = "UpdateContactPhoto"`,
			"entry_point", `runtime is "go125"`},

		// event
		{"event type", "functions.tf",
			`"google.cloud.storage.object.v1.finalized"`, `"google.cloud.storage.object.v1.metadataUpdated"`,
			"event", "event_type is"},
		{"no retries", "functions.tf",
			`"RETRY_POLICY_RETRY"`, `"RETRY_POLICY_DO_NOT_RETRY"`, "event", "retry_policy"},
		{"bucket filter on another bucket", "functions.tf",
			`value     = local.upload_bucket`, `value     = google_storage_bucket.source.name`,
			"event", "exactly one event filter"},
		{"bucket filter as a path pattern", "functions.tf",
			`value     = local.upload_bucket`, `value     = local.upload_bucket
      operator  = "match-path-pattern"`,
			"event", "exactly one event filter"},
		{"trigger runs as the function", "functions.tf",
			`service_account_email = google_service_account.trigger.email`, `service_account_email = google_service_account.event.email`,
			"event", "google_service_account.trigger.email"},
		{"trigger region not the bucket's", "functions.tf",
			`trigger_region        = local.trigger_region`, `trigger_region        = var.region`,
			"event", "trigger_region"},
		{"two instances by default", "variables.tf",
			"  type        = number\n  default     = 1\n", "  type        = number\n  default     = 2\n",
			"event", "max_instance_count is 2 by default, want 1"},
		{"max instances hard-coded", "functions.tf",
			"    max_instance_count               = var.max_instance_count\n    min_instance_count               = 0\n    max_instance_request_concurrency = var.max_instance_request_concurrency\n    timeout_seconds                  = 300\n    # Eventarc",
			"    max_instance_count               = 3\n    min_instance_count               = 0\n    max_instance_request_concurrency = var.max_instance_request_concurrency\n    timeout_seconds                  = 300\n    # Eventarc",
			"event", "max_instance_count is 3 by default"},
		{"shorter timeout", "functions.tf",
			"timeout_seconds                  = 300\n    # Eventarc", "timeout_seconds                  = 60\n    # Eventarc",
			"event", "timeout_seconds is 60"},
		{"public event function", "functions.tf",
			`"ALLOW_INTERNAL_ONLY"`, `"ALLOW_ALL"`, "event", "ingress_settings"},

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

		// public
		{"allUsers as a default invoker", "variables.tf",
			"  type        = list(string)\n  default     = []\n\n  validation {\n    condition = length([\n      for m in var.webhook_invokers",
			"  type        = list(string)\n  default     = [\"allUsers\"]\n\n  validation {\n    condition = length([\n      for m in var.webhook_invokers",
			"public", `variable webhook_invokers: default grants to the public`},
		{"public binding without webhook_public", "iam.tf",
			"count = var.webhook_enabled && var.webhook_public ? 1 : 0", "count = var.webhook_enabled ? 1 : 0",
			"public", "resource google_cloud_run_v2_service_iam_member.webhook_public: member grants to the public"},
		{"allAuthenticatedUsers on the event function", "iam.tf",
			"  member   = google_service_account.trigger.member\n}", "  member   = \"allAuthenticatedUsers\"\n}",
			"public", "trigger_invoker: member grants to the public"},

		// iam
		{"editor on the project", "iam.tf",
			`role    = "roles/pubsub.publisher"`, `role    = "roles/editor"`,
			"iam", `grants "roles/editor" on the project`},
		{"project-wide secret access", "iam.tf",
			`role    = "roles/eventarc.eventReceiver"`, `role    = "roles/secretmanager.secretAccessor"`,
			"iam", `grants "roles/secretmanager.secretAccessor" on the project`},
		{"event receiver for the function's account", "iam.tf",
			"  role    = \"roles/eventarc.eventReceiver\"\n  member  = google_service_account.trigger.member",
			"  role    = \"roles/eventarc.eventReceiver\"\n  member  = google_service_account.event.member",
			"iam", "only google_service_account.trigger needs it"},
		{"objectUser on the bucket", "iam.tf",
			"  role   = google_project_iam_custom_role.objects.id\n  member = google_service_account.event.member",
			"  role   = \"roles/storage.objectUser\"\n  member = google_service_account.event.member",
			"iam", `grants "roles/storage.objectUser" on a bucket`},
		{"delete allowed by the object role", "iam.tf",
			`["storage.objects.get", "storage.objects.update"]`, `["storage.objects.get", "storage.objects.update", "storage.objects.delete"]`,
			"iam", "with status_writeback=true grants the wrong permissions"},
		{"metadata update without write-back", "iam.tf",
			`: ["storage.objects.get"]`, `: ["storage.objects.get", "storage.objects.update"]`,
			"iam", "with status_writeback=false grants the wrong permissions"},
		{"authoritative bucket binding", "iam.tf",
			`resource "google_storage_bucket_iam_member" "event_objects"`, `resource "google_storage_bucket_iam_binding" "event_objects"`,
			"iam", "is authoritative"},
		{"webhook key readable by the event function", "iam.tf",
			"  secret_id = google_secret_manager_secret.webhook_key[0].id\n  role      = \"roles/secretmanager.secretAccessor\"\n  member    = google_service_account.webhook[0].member",
			"  secret_id = google_secret_manager_secret.webhook_key[0].id\n  role      = \"roles/secretmanager.secretAccessor\"\n  member    = google_service_account.event.member",
			"iam", "only the webhook reads it"},
		{"token secret readable by the trigger", "iam.tf",
			"  role      = \"roles/secretmanager.secretAccessor\"\n  member    = google_service_account.event.member",
			"  role      = \"roles/secretmanager.secretAccessor\"\n  member    = google_service_account.trigger.member",
			"iam", "only the functions' service accounts read secrets"},
		{"secret admin on a secret", "iam.tf",
			"  role      = \"roles/secretmanager.secretAccessor\"\n  member    = google_service_account.event.member",
			"  role      = \"roles/secretmanager.admin\"\n  member    = google_service_account.event.member",
			"iam", `grants "roles/secretmanager.admin" on a secret`},
		{"function account invokes the event function", "iam.tf",
			"  member   = google_service_account.trigger.member\n}", "  member   = google_service_account.event.member\n}",
			"iam", "only the trigger's service account delivers events"},
		{"run admin for the trigger", "iam.tf",
			"  role     = \"roles/run.invoker\"\n  member   = google_service_account.trigger.member",
			"  role     = \"roles/run.admin\"\n  member   = google_service_account.trigger.member",
			"iam", `grants "roles/run.admin" on a function's service`},
		{"webhook invoker not from the variable", "iam.tf",
			"  role     = \"roles/run.invoker\"\n  member   = each.value", "  role     = \"roles/run.invoker\"\n  member   = google_service_account.trigger.member",
			"iam", "only var.webhook_invokers"},
		{"token creator on any account", "iam.tf",
			`role               = "roles/iam.serviceAccountTokenCreator"`, `role               = "roles/iam.serviceAccountAdmin"`,
			"iam", "only token creator on the delegation accounts"},

		// zip
		{"tests in the zip", "source.tf",
			"    \"**/*_test.go\",\n", "",
			"zip", "holds the test file"},
		{"test data in the zip", "source.tf",
			"    \"**/testdata\",\n", "",
			"zip", "holds test data"},
		{"terraform in the zip", "source.tf",
			"    \"terraform\",\n", "",
			"zip", "the zip holds terraform/"},
		{"hidden files pattern empties the zip", "source.tf",
			`"**/.?*"`, `"**/.*"`,
			"zip", "lacks go.mod"},
		{"embedded cascade left out", "source.tf",
			"    \"bench\",\n", "    \"bench\",\n    \"imaging/cascade\",\n",
			"zip", "lacks imaging/cascade/facefinder"},
		{"a package the root imports left out", "source.tf",
			"    \"bench\",\n", "    \"bench\",\n    \"people\",\n",
			"zip", "lacks people/"},
		{"go.sum left out", "source.tf",
			"    \"bench\",\n", "    \"bench\",\n    \"go.sum\",\n",
			"zip", "lacks go.sum"},
		{"source from the parent of the repository", "source.tf",
			`source_dir  = "${path.module}/.."`, `source_dir  = "${path.module}/../.."`,
			"zip", "not the module root"},
		{"object not named by hash", "source.tf",
			`"contactphoto-${data.archive_file.source.output_sha256}.zip"`, `"contactphoto.zip"`,
			"zip", "named by the zip's hash"},
		{"pattern syntax the test cannot read", "source.tf",
			`"**/testdata",`, `"**/{testdata,bench}",`,
			"zip", "syntax this test does not model"},

		// apis
		{"APIs disabled on destroy", "apis.tf",
			"disable_on_destroy = false", "disable_on_destroy = true", "apis", "disable_on_destroy must be false"},
		{"People API not enabled", "apis.tf",
			"    \"people.googleapis.com\",\n", "", "apis", "people.googleapis.com is not enabled"},

		// buckets
		{"upload bucket ACLs", "storage.tf",
			"  location                    = var.region\n  uniform_bucket_level_access = true\n  public_access_prevention    = \"enforced\"\n  force_destroy               = var.force_destroy_uploads",
			"  location                    = var.region\n  uniform_bucket_level_access = false\n  public_access_prevention    = \"enforced\"\n  force_destroy               = var.force_destroy_uploads",
			"buckets", "bucket uploads must have uniform_bucket_level_access = true"},
		{"public access prevention inherited", "storage.tf",
			"  public_access_prevention    = \"enforced\"\n  # It only", "  public_access_prevention    = \"inherited\"\n  # It only",
			"buckets", `bucket source must have public_access_prevention = "enforced"`},
		{"upload bucket in another region", "storage.tf",
			"  location                    = var.region\n  uniform_bucket_level_access = true\n  public_access_prevention    = \"enforced\"\n  force_destroy               = var.force_destroy_uploads",
			"  location                    = \"US\"\n  uniform_bucket_level_access = true\n  public_access_prevention    = \"enforced\"\n  force_destroy               = var.force_destroy_uploads",
			"buckets", "bucket uploads must be in var.region"},
		{"existing bucket's location ignored", "storage.tf",
			"trigger_region = var.create_bucket ? var.region : lower(data.google_storage_bucket.existing[0].location)",
			"trigger_region = var.region", "buckets", "local.trigger_region"},

		// secrets
		{"token value in the state", "secrets.tf",
			"locals {", "resource \"google_secret_manager_secret_version\" \"token\" {\n  secret      = google_secret_manager_secret.token.id\n  secret_data = \"x\"\n}\n\nlocals {",
			"secrets", "would be stored in the Terraform state"},

		// outputs
		{"upload command without the metadata key", "outputs.tf",
			"--custom-metadata=${var.contact_metadata_key}=people/c1234567890", "--custom-metadata=resourceName=people/c1234567890",
			"outputs", `output "upload_command" does not use var.contact_metadata_key`},
		{"no authorize command", "outputs.tf",
			`output "authorize_command" {`, `output "authorize" {`,
			"outputs", `no output "authorize_command"`},

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
