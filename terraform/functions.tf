locals {
  # The function's whole configuration (config.go), one entry per
  # environment variable that LoadConfig reads. The emulator variables
  # (STORAGE_EMULATOR_HOST, SECRET_MANAGER_EMULATOR_HOST, PEOPLE_API_ENDPOINT)
  # are for local stand-ins and are never set here.
  environment = {
    TOKEN_SECRET             = "${google_secret_manager_secret.token.id}/versions/latest"
    ACCOUNTS                 = join(",", [for name, secret in google_secret_manager_secret.accounts : "${name}=${secret.id}/versions/latest"])
    CONTACT_METADATA_KEY     = var.contact_metadata_key
    CONTACT_FROM_FILENAME    = var.contact_from_filename
    MAX_OBJECT_BYTES         = var.max_object_bytes
    PHOTO_SIZE               = var.photo_size
    CROP                     = var.crop
    MAX_PIXELS               = var.max_pixels
    MAX_PHOTO_BYTES          = var.max_photo_bytes
    PEOPLE_WRITES_PER_MINUTE = var.people_writes_per_minute
    PEOPLE_PERSON_FIELDS     = var.people_person_fields
    MAX_EVENT_AGE            = var.max_event_age
    STATUS_WRITEBACK         = var.status_writeback
  }

  # The webhook reads two more: its HMAC key and the buckets it may re-run.
  webhook_environment = merge(local.environment, {
    WEBHOOK_SECRET  = var.webhook_enabled ? "${google_secret_manager_secret.webhook_key[0].id}/versions/latest" : ""
    WEBHOOK_BUCKETS = join(",", local.webhook_buckets)
  })

  source = {
    bucket = google_storage_bucket.source.name
    object = google_storage_bucket_object.source.name
  }
  build = {
    service_account   = "projects/${var.project_id}/serviceAccounts/${time_sleep.iam.triggers["build"]}"
    docker_repository = google_artifact_registry_repository.functions.id
    # The storage library's gRPC DirectPath code (Envoy, xDS, CEL, SPIFFE) is
    # left out by this tag; the function talks to Cloud Storage over HTTP
    # only, so the build is faster and the instance starts leaner.
    # GOEXPERIMENT=simd builds the face network's AVX2 kernels
    # (imaging/tinyconv_simd.go), a quarter of the loops' time, used when the
    # instance's CPU has AVX2; the results are the same bit for bit. Build
    # environment variables reach the go command of the Go buildpack:
    # https://cloud.google.com/functions/docs/configuring/env-var#build_environment_variables
    environment = {
      GOFLAGS      = "-tags=disable_grpc_modules"
      GOEXPERIMENT = "simd"
    }
  }
}

resource "google_cloudfunctions2_function" "event" {
  name        = var.name_prefix
  location    = var.region
  description = "Sets a Google Contacts photo from each photo uploaded to gs://${local.upload_bucket}."

  build_config {
    runtime               = "go126"
    entry_point           = "UpdateContactPhoto"
    service_account       = local.build.service_account
    docker_repository     = local.build.docker_repository
    environment_variables = local.build.environment

    source {
      storage_source {
        bucket = local.source.bucket
        object = local.source.object
      }
    }
  }

  service_config {
    available_memory = var.memory
    available_cpu    = var.cpu
    # One instance by default: the per-account pacing and serialisation of
    # People API writes live in the instance.
    max_instance_count               = var.max_instance_count
    min_instance_count               = 0
    max_instance_request_concurrency = var.max_instance_request_concurrency
    timeout_seconds                  = 300
    # Eventarc's deliveries count as internal traffic; nothing else needs in.
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    service_account_email          = time_sleep.iam.triggers["event"]
    # LoadConfig treats an empty variable as unset, so empty values are left
    # out rather than sent.
    environment_variables = { for name, value in local.environment : name => value if value != "" }
  }

  event_trigger {
    trigger_region        = local.trigger_region
    event_type            = "google.cloud.storage.object.v1.finalized"
    retry_policy          = "RETRY_POLICY_RETRY"
    service_account_email = time_sleep.iam.triggers["trigger"]

    event_filters {
      attribute = "bucket"
      value     = local.upload_bucket
    }
  }

  depends_on = [time_sleep.iam]
}

resource "google_cloudfunctions2_function" "webhook" {
  count = var.webhook_enabled ? 1 : 0

  name        = "${var.name_prefix}-webhook"
  location    = var.region
  description = "Sets, deletes or re-runs contact photos on signed HTTP requests."

  build_config {
    runtime               = "go126"
    entry_point           = "UpdateContactPhotoWebhook"
    service_account       = local.build.service_account
    docker_repository     = local.build.docker_repository
    environment_variables = local.build.environment

    source {
      storage_source {
        bucket = local.source.bucket
        object = local.source.object
      }
    }
  }

  service_config {
    available_memory                 = var.memory
    available_cpu                    = var.cpu
    max_instance_count               = var.max_instance_count
    min_instance_count               = 0
    max_instance_request_concurrency = var.max_instance_request_concurrency
    timeout_seconds                  = 300
    # Callers on the internet are let in by Cloud Run IAM (webhook_invokers
    # or, with webhook_public, anyone) and then by the HMAC signature.
    ingress_settings               = "ALLOW_ALL"
    all_traffic_on_latest_revision = true
    service_account_email          = time_sleep.iam.triggers["webhook"]
    environment_variables          = { for name, value in local.webhook_environment : name => value if value != "" }
  }

  depends_on = [time_sleep.iam]
}

# A function's event_trigger holds one event type. Metadata changes reach
# the same function through a second trigger on its Cloud Run service, with
# the same identity, bucket filter and retries: a user mends a failed upload
# by fixing its metadata in place. Leaving retry_policy out is what retries:
# Eventarc then retries a failed delivery for up to 24 hours, as
# RETRY_POLICY_RETRY does for the function's own trigger
# (https://cloud.google.com/eventarc/docs/retry-events).
resource "google_eventarc_trigger" "metadata_updated" {
  name            = "${var.name_prefix}-metadata-updated"
  location        = local.trigger_region
  service_account = time_sleep.iam.triggers["trigger"]

  matching_criteria {
    attribute = "type"
    value     = "google.cloud.storage.object.v1.metadataUpdated"
  }
  matching_criteria {
    attribute = "bucket"
    value     = local.upload_bucket
  }

  destination {
    cloud_run_service {
      # The function's service, named by its last path segment.
      service = reverse(split("/", google_cloudfunctions2_function.event.service_config[0].service))[0]
      region  = var.region
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.trigger_invoker]
}
