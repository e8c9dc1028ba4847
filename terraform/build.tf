# Cloud Build builds the functions as this account, not as the Compute
# Engine default service account: under an organisation, projects created
# since 2024 leave that account without roles, and the build then fails with
# "Could not build the function due to a missing permission on the build
# service account". Its grants are the ones Google lists for a build service
# account (https://cloud.google.com/functions/docs/securing/build-custom-sa),
# each on the smallest scope that works. build_service_account brings one's
# own account instead.

locals {
  create_build_account        = var.build_service_account == null
  build_service_account_email = coalesce(var.build_service_account, one(google_service_account.build[*].email))
}

resource "google_service_account" "build" {
  count = local.create_build_account ? 1 : 0

  account_id   = "${var.name_prefix}-build"
  display_name = "contactphoto build"
  description  = "Identity Cloud Build uses to build the contactphoto functions."

  depends_on = [time_sleep.apis]
}

# The functions' images, in a repository of their own so that the build
# may write to it and to nothing else.
resource "google_artifact_registry_repository" "functions" {
  repository_id = var.name_prefix
  location      = var.region
  format        = "DOCKER"
  description   = "Images of the contactphoto functions, pushed by Cloud Build."

  depends_on = [time_sleep.apis]
}

resource "google_artifact_registry_repository_iam_member" "build_images" {
  project    = var.project_id
  location   = google_artifact_registry_repository.functions.location
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = "serviceAccount:${local.build_service_account_email}"
}

# Build logs: log entries can be written only with a grant on a project (or
# above), never on a single log.
resource "google_project_iam_member" "build_log_writer" {
  count = local.create_build_account ? 1 : 0

  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.build[0].member
}

# The source: Cloud Functions copies the zip to its own bucket,
# gcf-v2-sources-PROJECT_NUMBER-REGION, and the build fetches it from there.
# That bucket is created by the first deploy, so it cannot be granted on
# before it exists; the condition keeps the project-level grant to it.
resource "google_project_iam_member" "build_sources" {
  count = local.create_build_account ? 1 : 0

  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = google_service_account.build[0].member

  condition {
    title       = "Cloud Functions sources only"
    description = "The buckets Cloud Functions copies function sources to."
    expression  = "resource.name.startsWith(\"projects/_/buckets/gcf-v2-sources-\")"
  }
}
