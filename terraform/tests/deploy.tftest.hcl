# The deployment as Terraform evaluates it, against the real provider
# schemas with mocked Google APIs: no network, no account, seconds to run.
# Plan runs check what is known before anything exists; apply runs check
# the identities and grants, whose values only exist once created.

mock_provider "google" {
  mock_data "google_storage_project_service_account" {
    defaults = {
      email_address = "service-123456789012@gs-project-accounts.iam.gserviceaccount.com"
      member        = "serviceAccount:service-123456789012@gs-project-accounts.iam.gserviceaccount.com"
    }
  }
  mock_data "google_storage_bucket" {
    defaults = {
      location = "US"
    }
  }
  mock_resource "google_cloudfunctions2_function" {
    defaults = {
      service_config = { service = "projects/my-project-123/locations/europe-west1/services/contactphoto" }
    }
  }
}

# No real waiting in tests.
mock_provider "time" {}

# Service accounts as Google names them: the provider checks IAM members.
override_resource {
  target = google_service_account.event
  values = {
    email  = "contactphoto-event@my-project-123.iam.gserviceaccount.com"
    member = "serviceAccount:contactphoto-event@my-project-123.iam.gserviceaccount.com"
  }
}
override_resource {
  target = google_service_account.trigger
  values = {
    email  = "contactphoto-trigger@my-project-123.iam.gserviceaccount.com"
    member = "serviceAccount:contactphoto-trigger@my-project-123.iam.gserviceaccount.com"
  }
}
override_resource {
  target = google_service_account.webhook
  values = {
    email  = "contactphoto-webhook@my-project-123.iam.gserviceaccount.com"
    member = "serviceAccount:contactphoto-webhook@my-project-123.iam.gserviceaccount.com"
  }
}
override_resource {
  target = google_service_account.build
  values = {
    email  = "contactphoto-build@my-project-123.iam.gserviceaccount.com"
    member = "serviceAccount:contactphoto-build@my-project-123.iam.gserviceaccount.com"
  }
}

variables {
  project_id = "my-project-123"
  region     = "europe-west1"
}

run "defaults_plan" {
  command = plan

  assert {
    condition     = google_cloudfunctions2_function.event.build_config[0].runtime == "go126" && google_cloudfunctions2_function.event.build_config[0].entry_point == "UpdateContactPhoto" && google_cloudfunctions2_function.event.build_config[0].environment_variables == tomap({ GOFLAGS = "-tags=disable_grpc_modules", GOEXPERIMENT = "simd" })
    error_message = "the event function must run UpdateContactPhoto on go126, built with the disable_grpc_modules tag and the simd experiment"
  }
  assert {
    condition     = google_cloudfunctions2_function.event.event_trigger[0].event_type == "google.cloud.storage.object.v1.finalized"
    error_message = "the event function must be triggered by finalized objects"
  }
  assert {
    condition     = google_cloudfunctions2_function.event.event_trigger[0].retry_policy == "RETRY_POLICY_RETRY"
    error_message = "failed deliveries must be retried"
  }
  assert {
    condition = [for f in google_cloudfunctions2_function.event.event_trigger[0].event_filters : { attribute = f.attribute, value = f.value, pattern = coalesce(f.operator, "none") }] == [
      { attribute = "bucket", value = "my-project-123-contactphoto-uploads", pattern = "none" },
    ]
    error_message = "the trigger must filter on exactly the upload bucket"
  }
  assert {
    condition     = google_cloudfunctions2_function.event.event_trigger[0].trigger_region == "europe-west1" && google_eventarc_trigger.metadata_updated.location == "europe-west1"
    error_message = "both triggers must be in the bucket's region"
  }
  assert {
    condition = { for c in google_eventarc_trigger.metadata_updated.matching_criteria : c.attribute => { value = c.value, pattern = coalesce(c.operator, "none") } } == {
      type   = { value = "google.cloud.storage.object.v1.metadataUpdated", pattern = "none" }
      bucket = { value = "my-project-123-contactphoto-uploads", pattern = "none" }
    }
    error_message = "the second trigger must take the upload bucket's metadataUpdated events, and nothing else"
  }
  assert {
    condition     = length(google_eventarc_trigger.metadata_updated.retry_policy) == 0
    error_message = "the second trigger must keep Eventarc's default retries (a retry_policy can only turn them off)"
  }
  assert {
    condition     = google_cloudfunctions2_function.event.service_config[0].ingress_settings == "ALLOW_INTERNAL_ONLY" && google_cloudfunctions2_function.event.service_config[0].max_instance_count == 1
    error_message = "the event function must be internal and run one instance by default"
  }
  assert {
    condition     = length(google_cloudfunctions2_function.webhook) == 0 && length(google_service_account.webhook) == 0 && length(google_secret_manager_secret.webhook_key) == 0
    error_message = "the webhook must be off by default"
  }
  assert {
    condition     = length(google_service_account.build) == 1 && google_service_account.build[0].account_id == "contactphoto-build"
    error_message = "a build service account must be created by default"
  }
  assert {
    condition     = google_artifact_registry_repository.functions.repository_id == "contactphoto" && google_artifact_registry_repository.functions.location == "europe-west1" && google_artifact_registry_repository.functions.format == "DOCKER"
    error_message = "the images must go to a repository of the deployment's own"
  }
  assert {
    condition     = google_secret_manager_secret.token.secret_id == "contacts-token"
    error_message = "the apply creates the token secret contacts-token"
  }
  assert {
    condition     = time_sleep.apis.create_duration == "60s" && time_sleep.iam.create_duration == "120s"
    error_message = "the waits for API and IAM propagation are gone or shorter"
  }
  assert {
    condition     = alltrue([for f in ["go.mod", "go.sum", "function.go", "config.go", "imaging/cascade/facefinder", "imaging/internal/dctjpeg/decode.go", "internal/cloudlog/cloudlog.go", "internal/membudget/membudget.go", "internal/redact/redact.go", "people/client.go", "tokens/secret.go", "gcs/gcs.go"] : contains(local.source_files, f)])
    error_message = "the source zip lacks a build input"
  }
  assert {
    condition     = length([for f in local.source_files : f if endswith(f, "_test.go") || strcontains(f, "testdata/") || startswith(f, "terraform/") || startswith(f, "cmd/") || startswith(f, ".")]) == 0
    error_message = "the source zip holds tests, test data, the CLI, the configuration or hidden files"
  }
  assert {
    condition     = length([for f in local.source_files : f if !(contains(["go.mod", "go.sum"], f) || endswith(f, ".go") || contains(local.source_assets, f))]) == 0
    error_message = "the source zip holds a file that is neither go.mod, go.sum, Go source nor an embedded asset"
  }
  assert {
    condition     = contains(local.source_excludes, "terraform") && contains(local.source_excludes, "cmd")
    error_message = "terraform/ (where the zip is written) and cmd/ must be left out of the zip whole"
  }
  assert {
    condition     = toset(keys(google_project_service.apis)) == toset(["artifactregistry.googleapis.com", "cloudbuild.googleapis.com", "cloudfunctions.googleapis.com", "eventarc.googleapis.com", "iam.googleapis.com", "iamcredentials.googleapis.com", "people.googleapis.com", "pubsub.googleapis.com", "run.googleapis.com", "secretmanager.googleapis.com", "storage.googleapis.com"]) && alltrue([for a in google_project_service.apis : a.disable_on_destroy == false])
    error_message = "every API the deployment uses must be enabled, and stay enabled on destroy"
  }
  assert {
    condition     = alltrue([for b in [google_storage_bucket.uploads[0], google_storage_bucket.source] : b.uniform_bucket_level_access && b.public_access_prevention == "enforced" && upper(b.location) == "EUROPE-WEST1"])
    error_message = "both buckets must be private by construction and in the functions' region"
  }
}

run "defaults_apply" {
  # Every grant, exactly: who, which role, on what.
  assert {
    condition = [for m in concat([google_project_iam_member.gcs_pubsub_publisher, google_project_iam_member.trigger_event_receiver], google_project_iam_member.build_log_writer, google_project_iam_member.build_sources) : { role = m.role, member = m.member, project = m.project, conditional = length(m.condition) > 0 }] == [
      { role = "roles/pubsub.publisher", member = "serviceAccount:service-123456789012@gs-project-accounts.iam.gserviceaccount.com", project = "my-project-123", conditional = false },
      { role = "roles/eventarc.eventReceiver", member = google_service_account.trigger.member, project = "my-project-123", conditional = false },
      { role = "roles/logging.logWriter", member = google_service_account.build[0].member, project = "my-project-123", conditional = false },
      { role = "roles/storage.objectViewer", member = google_service_account.build[0].member, project = "my-project-123", conditional = true },
    ]
    error_message = "the project-level grants differ from the four intended"
  }
  assert {
    condition     = google_project_iam_member.build_sources[0].condition[0].expression == "resource.name.startsWith(\"projects/_/buckets/gcf-v2-sources-\")"
    error_message = "the build may read Cloud Functions' source buckets and no other"
  }
  assert {
    condition     = google_artifact_registry_repository_iam_member.build_images.role == "roles/artifactregistry.writer" && google_artifact_registry_repository_iam_member.build_images.member == "serviceAccount:${google_service_account.build[0].email}" && google_artifact_registry_repository_iam_member.build_images.repository == google_artifact_registry_repository.functions.name
    error_message = "the build account must write to the functions' repository only"
  }
  assert {
    condition     = google_cloudfunctions2_function.event.build_config[0].service_account == "projects/my-project-123/serviceAccounts/${google_service_account.build[0].email}" && google_cloudfunctions2_function.event.build_config[0].docker_repository == google_artifact_registry_repository.functions.id
    error_message = "the event function must be built as the build account, into the repository"
  }
  assert {
    condition     = google_storage_bucket_iam_member.event_objects.bucket == google_storage_bucket.uploads[0].name && google_storage_bucket_iam_member.event_objects.role == google_project_iam_custom_role.objects.id && google_storage_bucket_iam_member.event_objects.member == google_service_account.event.member
    error_message = "the event function must get the object role on the upload bucket"
  }
  assert {
    condition     = google_project_iam_custom_role.objects.permissions == toset(["storage.objects.get", "storage.objects.update"])
    error_message = "the object role must read objects and update their metadata, and nothing more"
  }
  assert {
    condition = { for k, m in google_secret_manager_secret_iam_member.event_tokens : k => { secret = m.secret_id, role = m.role, member = m.member } } == {
      default = { secret = google_secret_manager_secret.token.id, role = "roles/secretmanager.secretAccessor", member = google_service_account.event.member }
    }
    error_message = "the event function must read the token secret and nothing else"
  }
  assert {
    condition     = google_cloud_run_v2_service_iam_member.trigger_invoker.role == "roles/run.invoker" && google_cloud_run_v2_service_iam_member.trigger_invoker.member == google_service_account.trigger.member && google_cloud_run_v2_service_iam_member.trigger_invoker.name == google_cloudfunctions2_function.event.service_config[0].service
    error_message = "the trigger's account must invoke the event function's service"
  }
  assert {
    condition     = length(google_storage_bucket_iam_member.webhook_objects) + length(google_secret_manager_secret_iam_member.webhook_tokens) + length(google_secret_manager_secret_iam_member.webhook_key) + length(google_cloud_run_v2_service_iam_member.webhook_invokers) + length(google_cloud_run_v2_service_iam_member.webhook_public) + length(google_service_account_iam_member.delegation) == 0
    error_message = "without the webhook and delegation, nothing is granted for them"
  }
  assert {
    condition     = google_eventarc_trigger.metadata_updated.service_account == google_service_account.trigger.email && google_cloudfunctions2_function.event.event_trigger[0].service_account_email == google_service_account.trigger.email
    error_message = "both triggers must deliver as the trigger's account"
  }
  assert {
    condition     = google_eventarc_trigger.metadata_updated.destination[0].cloud_run_service[0].service == "contactphoto" && google_eventarc_trigger.metadata_updated.destination[0].cloud_run_service[0].region == "europe-west1"
    error_message = "the second trigger must deliver to the event function's Cloud Run service"
  }
  assert {
    condition = (
      google_cloudfunctions2_function.event.service_config[0].service_account_email == google_service_account.event.email &&
      time_sleep.iam.triggers == tomap({
        event   = google_service_account.event.email
        trigger = google_service_account.trigger.email
        build   = google_service_account.build[0].email
        webhook = ""
      })
    )
    error_message = "the event function must run as its own account, and the IAM wait must carry the identities the functions run, deliver and build as"
  }
  assert {
    condition     = google_cloudfunctions2_function.event.service_config[0].environment_variables["TOKEN_SECRET"] == "${google_secret_manager_secret.token.id}/versions/latest" && !contains(keys(google_cloudfunctions2_function.event.service_config[0].environment_variables), "ACCOUNTS") && !contains(keys(google_cloudfunctions2_function.event.service_config[0].environment_variables), "WEBHOOK_SECRET")
    error_message = "the event function must read the token secret's latest version, with no other accounts and no webhook key"
  }
  assert {
    condition     = output.service_accounts.build == google_service_account.build[0].email && output.upload_bucket == "my-project-123-contactphoto-uploads"
    error_message = "the outputs must name the build account and the bucket"
  }
  assert {
    condition = (
      output.upload_command == "gcloud storage cp photo.jpg gs://my-project-123-contactphoto-uploads/ --custom-metadata=resourceName=people/c1234567890" &&
      output.authorize_command == "go run ./cmd/contactphoto authorize --client-secret client_secret.json --secret ${google_secret_manager_secret.token.id}" &&
      output.token_secret == google_secret_manager_secret.token.id &&
      output.logs_command == "gcloud logging read 'resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"contactphoto\"' --project my-project-123 --freshness 1d --limit 50 --format 'value(timestamp,severity,jsonPayload.object,jsonPayload.contact,jsonPayload.message)'"
    )
    error_message = "the outputs must give the README's commands for this deployment"
  }
}

run "webhook_private" {
  variables {
    webhook_enabled  = true
    webhook_invokers = ["serviceAccount:crm@my-project-123.iam.gserviceaccount.com", "user:admin@example.com"]
  }

  assert {
    condition     = google_cloudfunctions2_function.webhook[0].build_config[0].entry_point == "UpdateContactPhotoWebhook" && google_cloudfunctions2_function.webhook[0].build_config[0].runtime == "go126" && google_cloudfunctions2_function.webhook[0].build_config[0].environment_variables == google_cloudfunctions2_function.event.build_config[0].environment_variables && length(google_cloudfunctions2_function.webhook[0].event_trigger) == 0
    error_message = "the webhook must run UpdateContactPhotoWebhook on go126, over HTTP"
  }
  assert {
    condition     = google_cloudfunctions2_function.webhook[0].build_config[0].service_account == google_cloudfunctions2_function.event.build_config[0].service_account && google_cloudfunctions2_function.webhook[0].service_config[0].service_account_email == google_service_account.webhook[0].email
    error_message = "the webhook must be built as the build account and run as its own"
  }
  assert {
    condition     = toset([for m in google_cloud_run_v2_service_iam_member.webhook_invokers : m.member]) == toset(["serviceAccount:crm@my-project-123.iam.gserviceaccount.com", "user:admin@example.com"]) && alltrue([for m in google_cloud_run_v2_service_iam_member.webhook_invokers : m.role == "roles/run.invoker" && m.name == google_cloudfunctions2_function.webhook[0].service_config[0].service])
    error_message = "exactly webhook_invokers may invoke the webhook"
  }
  assert {
    condition     = length(google_cloud_run_v2_service_iam_member.webhook_public) == 0
    error_message = "allUsers must not invoke the webhook without webhook_public"
  }
  assert {
    condition     = { for k, m in google_storage_bucket_iam_member.webhook_objects : k => [m.role, m.member] } == { "my-project-123-contactphoto-uploads" = [google_project_iam_custom_role.objects.id, google_service_account.webhook[0].member] }
    error_message = "the webhook may re-run objects of the upload bucket only"
  }
  assert {
    condition     = google_secret_manager_secret_iam_member.webhook_key[0].member == google_service_account.webhook[0].member && google_secret_manager_secret_iam_member.webhook_key[0].secret_id == google_secret_manager_secret.webhook_key[0].id && keys(google_secret_manager_secret_iam_member.webhook_tokens) == ["default"]
    error_message = "the webhook must read its key and the token secret"
  }
  assert {
    condition     = google_cloudfunctions2_function.webhook[0].service_config[0].environment_variables["WEBHOOK_SECRET"] == "${google_secret_manager_secret.webhook_key[0].id}/versions/latest" && google_cloudfunctions2_function.webhook[0].service_config[0].environment_variables["WEBHOOK_BUCKETS"] == "my-project-123-contactphoto-uploads" && !contains(keys(google_cloudfunctions2_function.event.service_config[0].environment_variables), "WEBHOOK_SECRET")
    error_message = "only the webhook gets the key and the re-run buckets"
  }
  assert {
    condition     = google_secret_manager_secret.webhook_key[0].secret_id == "contactphoto-webhook-key" && time_sleep.iam.triggers["webhook"] == google_service_account.webhook[0].email
    error_message = "the webhook key secret and the webhook's identity through the IAM wait"
  }
}

run "webhook_public" {
  variables {
    webhook_enabled = true
    webhook_public  = true
  }

  assert {
    condition     = length(google_cloud_run_v2_service_iam_member.webhook_public) == 1 && google_cloud_run_v2_service_iam_member.webhook_public[0].member == "allUsers" && google_cloud_run_v2_service_iam_member.webhook_public[0].role == "roles/run.invoker" && google_cloud_run_v2_service_iam_member.webhook_public[0].name == google_cloudfunctions2_function.webhook[0].service_config[0].service
    error_message = "webhook_public must let allUsers invoke the webhook, and only it"
  }
  assert {
    condition     = google_cloud_run_v2_service_iam_member.trigger_invoker.member != "allUsers"
    error_message = "the event function must never be public"
  }
}

run "several_accounts" {
  variables {
    accounts = { alice = "contacts-token-alice", bob = "contacts-token-bob" }
  }

  assert {
    condition     = toset([for s in google_secret_manager_secret.accounts : s.secret_id]) == toset(["contacts-token-alice", "contacts-token-bob"])
    error_message = "each account must get its empty secret"
  }
  assert {
    condition = { for k, m in google_secret_manager_secret_iam_member.event_tokens : k => m.secret_id } == {
      default         = google_secret_manager_secret.token.id
      "account-alice" = google_secret_manager_secret.accounts["alice"].id
      "account-bob"   = google_secret_manager_secret.accounts["bob"].id
    } && alltrue([for m in google_secret_manager_secret_iam_member.event_tokens : m.member == google_service_account.event.member && m.role == "roles/secretmanager.secretAccessor"])
    error_message = "the event function must read each account's secret"
  }
  assert {
    condition     = google_cloudfunctions2_function.event.service_config[0].environment_variables["ACCOUNTS"] == "alice=${google_secret_manager_secret.accounts["alice"].id}/versions/latest,bob=${google_secret_manager_secret.accounts["bob"].id}/versions/latest"
    error_message = "ACCOUNTS must name each account's latest version"
  }
  assert {
    condition     = output.account_authorize_commands["alice"] == "go run ./cmd/contactphoto authorize --client-secret client_secret.json --secret ${google_secret_manager_secret.accounts["alice"].id}"
    error_message = "each account needs its authorize command"
  }
}

run "delegation" {
  variables {
    webhook_enabled             = true
    delegation_service_accounts = ["contacts-dwd@my-project-123.iam.gserviceaccount.com"]
  }

  assert {
    condition = { for k, m in google_service_account_iam_member.delegation : k => { account = m.service_account_id, role = m.role, member = m.member } } == {
      "event/contacts-dwd@my-project-123.iam.gserviceaccount.com"   = { account = "projects/-/serviceAccounts/contacts-dwd@my-project-123.iam.gserviceaccount.com", role = "roles/iam.serviceAccountTokenCreator", member = google_service_account.event.member }
      "webhook/contacts-dwd@my-project-123.iam.gserviceaccount.com" = { account = "projects/-/serviceAccounts/contacts-dwd@my-project-123.iam.gserviceaccount.com", role = "roles/iam.serviceAccountTokenCreator", member = google_service_account.webhook[0].member }
    }
    error_message = "each function may sign as each delegation account, and as no other"
  }
}

run "own_build_account" {
  variables {
    build_service_account = "builder@my-project-123.iam.gserviceaccount.com"
  }

  assert {
    condition     = length(google_service_account.build) == 0 && length(google_project_iam_member.build_log_writer) == 0 && length(google_project_iam_member.build_sources) == 0
    error_message = "with an account of one's own, no build account and no project-level grants for it"
  }
  assert {
    condition     = google_artifact_registry_repository_iam_member.build_images.member == "serviceAccount:builder@my-project-123.iam.gserviceaccount.com"
    error_message = "one's own build account must be able to push to the repository"
  }
  assert {
    condition     = google_cloudfunctions2_function.event.build_config[0].service_account == "projects/my-project-123/serviceAccounts/builder@my-project-123.iam.gserviceaccount.com" && output.service_accounts.build == "builder@my-project-123.iam.gserviceaccount.com"
    error_message = "the functions must be built as one's own account"
  }
}

run "existing_bucket" {
  variables {
    create_bucket = false
    bucket_name   = "my-photos"
  }

  assert {
    condition     = length(google_storage_bucket.uploads) == 0
    error_message = "an existing bucket must not be created"
  }
  assert {
    condition     = google_cloudfunctions2_function.event.event_trigger[0].trigger_region == "us" && google_eventarc_trigger.metadata_updated.location == "us"
    error_message = "both triggers must be in the existing bucket's location"
  }
  assert {
    condition     = [for f in google_cloudfunctions2_function.event.event_trigger[0].event_filters : f.value] == ["my-photos"] && contains([for c in google_eventarc_trigger.metadata_updated.matching_criteria : c.value if c.attribute == "bucket"], "my-photos")
    error_message = "both triggers must filter on the existing bucket"
  }
  assert {
    condition     = google_storage_bucket_iam_member.event_objects.bucket == "my-photos"
    error_message = "the event function must get access to the existing bucket only"
  }
}

run "everything_on" {
  variables {
    webhook_enabled             = true
    webhook_public              = true
    webhook_invokers            = ["serviceAccount:crm@my-project-123.iam.gserviceaccount.com"]
    webhook_buckets             = ["archive-photos", "my-photos"]
    accounts                    = { alice = "contacts-token-alice" }
    delegation_service_accounts = ["contacts-dwd@my-project-123.iam.gserviceaccount.com"]
    build_service_account       = "builder@my-project-123.iam.gserviceaccount.com"
    create_bucket               = false
    bucket_name                 = "my-photos"
    status_writeback            = false
    contact_metadata_key        = "contact"
  }

  assert {
    condition     = output.upload_command == "gcloud storage cp photo.jpg gs://my-photos/ --custom-metadata=contact=people/c1234567890" && google_cloudfunctions2_function.event.service_config[0].environment_variables["CONTACT_METADATA_KEY"] == "contact"
    error_message = "the upload command must use the function's metadata key"
  }

  assert {
    # No project-level secret role, and no project-level storage role but
    # the build's conditional one (absent here: the build account is one's own).
    condition     = [for m in concat([google_project_iam_member.gcs_pubsub_publisher, google_project_iam_member.trigger_event_receiver], google_project_iam_member.build_log_writer, google_project_iam_member.build_sources) : m.role] == ["roles/pubsub.publisher", "roles/eventarc.eventReceiver"]
    error_message = "only the two Eventarc roles may be granted on the project here"
  }
  assert {
    condition     = toset(keys(google_storage_bucket_iam_member.webhook_objects)) == toset(["archive-photos", "my-photos"]) && google_cloudfunctions2_function.webhook[0].service_config[0].environment_variables["WEBHOOK_BUCKETS"] == "archive-photos,my-photos"
    error_message = "the webhook must get each of webhook_buckets"
  }
  assert {
    condition     = google_project_iam_custom_role.objects.permissions == toset(["storage.objects.get"]) && google_cloudfunctions2_function.event.service_config[0].environment_variables["STATUS_WRITEBACK"] == "false"
    error_message = "without status write-back the functions may only read objects"
  }
  assert {
    condition = [
      for m in concat(
        [google_project_iam_member.gcs_pubsub_publisher.member, google_project_iam_member.trigger_event_receiver.member, google_cloud_run_v2_service_iam_member.trigger_invoker.member, google_storage_bucket_iam_member.event_objects.member, google_artifact_registry_repository_iam_member.build_images.member],
        [for m in google_storage_bucket_iam_member.webhook_objects : m.member],
        [for m in google_secret_manager_secret_iam_member.event_tokens : m.member],
        [for m in google_secret_manager_secret_iam_member.webhook_tokens : m.member],
        google_secret_manager_secret_iam_member.webhook_key[*].member,
        [for m in google_service_account_iam_member.delegation : m.member],
        [for m in google_cloud_run_v2_service_iam_member.webhook_invokers : m.member],
      ) : m if contains(["allUsers", "allAuthenticatedUsers"], m)
    ] == []
    error_message = "only webhook_public may grant to the public"
  }
  assert {
    condition     = length(keys(google_secret_manager_secret_iam_member.webhook_tokens)) == 2 && length(google_service_account_iam_member.delegation) == 2 && length(google_cloud_run_v2_service_iam_member.webhook_public) == 1
    error_message = "every option must add its grants"
  }
}

run "waits_come_first" {
  # Terraform plans a target together with everything it depends on, and
  # nothing else. So the functions and the second trigger, planned alone,
  # bring the waits and every grant made before them; a run that refers to
  # something outside the plan fails (Terraform 1.11 fails it with "no
  # expansion has been registered"). The Go tests check the same order from
  # the other side: every grant is among what time_sleep.iam waits for.
  command = plan

  plan_options {
    target = [
      google_cloudfunctions2_function.event,
      google_cloudfunctions2_function.webhook,
      google_eventarc_trigger.metadata_updated,
    ]
  }

  variables {
    webhook_enabled             = true
    accounts                    = { alice = "contacts-token-alice" }
    delegation_service_accounts = ["contacts-dwd@my-project-123.iam.gserviceaccount.com"]
  }

  assert {
    condition     = time_sleep.apis.create_duration == "60s" && time_sleep.iam.create_duration == "120s"
    error_message = "the functions must come after both waits"
  }
  assert {
    condition = alltrue([
      google_project_iam_member.gcs_pubsub_publisher.role == "roles/pubsub.publisher",
      google_project_iam_member.trigger_event_receiver.role == "roles/eventarc.eventReceiver",
      google_project_iam_member.build_log_writer[0].role == "roles/logging.logWriter",
      google_project_iam_member.build_sources[0].role == "roles/storage.objectViewer",
      google_artifact_registry_repository_iam_member.build_images.role == "roles/artifactregistry.writer",
      google_storage_bucket_iam_member.event_objects.bucket == "my-project-123-contactphoto-uploads",
      length(google_storage_bucket_iam_member.webhook_objects) == 1,
      length(google_secret_manager_secret_iam_member.event_tokens) == 2,
      length(google_secret_manager_secret_iam_member.webhook_tokens) == 2,
      length(google_secret_manager_secret_iam_member.webhook_key) == 1,
      length(google_service_account_iam_member.delegation) == 2,
    ])
    error_message = "the functions must come after every grant they need"
  }
}

run "refuses_public_invokers" {
  command = plan

  variables {
    webhook_enabled  = true
    webhook_invokers = ["allUsers"]
  }

  expect_failures = [var.webhook_invokers]
}

run "refuses_existing_bucket_without_name" {
  command = plan

  variables {
    create_bucket = false
  }

  expect_failures = [var.bucket_name]
}
