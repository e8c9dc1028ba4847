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
