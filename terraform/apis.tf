locals {
  # Every API the deployment uses. iam creates the service accounts and the
  # custom role; iamcredentials signs JWTs for Workspace domain-wide
  # delegation without keys (README.md, Tokens and accounts).
  services = toset([
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "eventarc.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "people.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])
}

resource "google_project_service" "apis" {
  for_each = local.services

  service = each.value
  # Other workloads in the project may use the same APIs: destroying this
  # deployment must not switch them off.
  disable_on_destroy = false
}

# Enabling an API creates its service agents (Eventarc's, Pub/Sub's, Cloud
# Functions', Cloud Build's) and grants them their roles, and both take a
# while to reach every Google service. Without this wait a fresh project
# fails with "Permission denied while using the Eventarc Service Agent ... it
# may take a few minutes"
# (https://github.com/hashicorp/terraform-provider-google/issues/25294).
# Everything that uses an API comes after it; the wait only runs when the
# list of APIs changes.
resource "time_sleep" "apis" {
  create_duration = "60s"

  triggers = {
    services = join(",", sort(local.services))
  }

  depends_on = [google_project_service.apis]
}
