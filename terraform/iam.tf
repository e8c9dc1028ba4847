# Identities and the least access each needs. Nothing here is granted on
# the project except the two roles Eventarc's Cloud Storage trigger cannot
# work without, and the build account's (build.tf).

resource "google_service_account" "event" {
  account_id   = "${var.name_prefix}-event"
  display_name = "contactphoto event function"
  description  = "Runs UpdateContactPhoto: reads uploaded photos and the token secrets."

  depends_on = [time_sleep.apis]
}

resource "google_service_account" "webhook" {
  count = var.webhook_enabled ? 1 : 0

  account_id   = "${var.name_prefix}-webhook"
  display_name = "contactphoto webhook function"
  description  = "Runs UpdateContactPhotoWebhook: reads the webhook key, the token secrets and the re-run buckets."

  depends_on = [time_sleep.apis]
}

resource "google_service_account" "trigger" {
  account_id   = "${var.name_prefix}-trigger"
  display_name = "contactphoto Eventarc trigger"
  description  = "Identity Eventarc uses to deliver upload events to the event function."

  depends_on = [time_sleep.apis]
}

locals {
  # A for over the counted resource, not a conditional: the two branches of
  # a conditional must have the same object type.
  runtime_members = merge(
    { event = google_service_account.event.member },
    { for account in google_service_account.webhook : "webhook" => account.member },
  )
  webhook_buckets = var.webhook_enabled ? coalesce(var.webhook_buckets, [local.upload_bucket]) : []
}

# Cloud Storage publishes the bucket's notifications to Eventarc's Pub/Sub
# topic as its project service agent. Cloud Storage creates that agent on
# the first call of projects.serviceAccount.get, which this data source
# makes, so the agent exists before it is granted anything
# (https://cloud.google.com/storage/docs/projects#service-accounts).
data "google_storage_project_service_account" "gcs" {
  depends_on = [time_sleep.apis]
}

resource "google_project_iam_member" "gcs_pubsub_publisher" {
  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = data.google_storage_project_service_account.gcs.member
}

# Eventarc requires its trigger's identity to hold eventReceiver on the
# project; the role grants nothing but receiving events.
resource "google_project_iam_member" "trigger_event_receiver" {
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = google_service_account.trigger.member
}

# The trigger may invoke the event function's service, and no other.
resource "google_cloud_run_v2_service_iam_member" "trigger_invoker" {
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.event.service_config[0].service
  role     = "roles/run.invoker"
  member   = google_service_account.trigger.member
}

# Objects: a custom role rather than roles/storage.objectUser. The function
# reads an object and, with status write-back, patches its metadata;
# objectUser would also let it create, overwrite and delete every photo in
# the bucket. Without write-back it may only read.
resource "google_project_iam_custom_role" "objects" {
  role_id     = "${replace(var.name_prefix, "-", "_")}_objects"
  title       = "contactphoto object access"
  description = "Read uploaded photos and, with status write-back, update their metadata."
  permissions = var.status_writeback ? ["storage.objects.get", "storage.objects.update"] : ["storage.objects.get"]

  depends_on = [time_sleep.apis]
}

resource "google_storage_bucket_iam_member" "event_objects" {
  bucket = local.upload_bucket
  role   = google_project_iam_custom_role.objects.id
  member = google_service_account.event.member
}

resource "google_storage_bucket_iam_member" "webhook_objects" {
  for_each = toset(local.webhook_buckets)

  bucket = each.value
  role   = google_project_iam_custom_role.objects.id
  member = google_service_account.webhook[0].member
}

# Secrets: each function reads the token secrets; only the webhook reads its
# key. Granted per secret, never on the project.
resource "google_secret_manager_secret_iam_member" "event_tokens" {
  for_each = local.token_secrets

  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.event.member
}

resource "google_secret_manager_secret_iam_member" "webhook_tokens" {
  for_each = { for key, secret in local.token_secrets : key => secret if var.webhook_enabled }

  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.webhook[0].member
}

resource "google_secret_manager_secret_iam_member" "webhook_key" {
  count = var.webhook_enabled ? 1 : 0

  secret_id = google_secret_manager_secret.webhook_key[0].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.webhook[0].member
}

# Workspace domain-wide delegation without keys: the functions sign JWTs as
# the delegation accounts named in their secrets, through IAM Credentials.
resource "google_service_account_iam_member" "delegation" {
  for_each = {
    for pair in setproduct(keys(local.runtime_members), var.delegation_service_accounts) :
    "${pair[0]}/${pair[1]}" => { member = local.runtime_members[pair[0]], account = pair[1] }
  }

  # "-" lets IAM find the account's project from its email.
  service_account_id = "projects/-/serviceAccounts/${each.value.account}"
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = each.value.member
}

# The webhook is private: Cloud Run lets in only these principals, and the
# function then checks the HMAC signature of every request.
resource "google_cloud_run_v2_service_iam_member" "webhook_invokers" {
  for_each = toset(var.webhook_enabled ? var.webhook_invokers : [])

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.webhook[0].service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value
}

# Only with webhook_public: anyone may reach the webhook, and the HMAC key
# alone keeps them out.
resource "google_cloud_run_v2_service_iam_member" "webhook_public" {
  count = var.webhook_enabled && var.webhook_public ? 1 : 0

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.webhook[0].service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# IAM grants take a while to reach every Google service
# (https://cloud.google.com/iam/docs/access-change-propagation): a trigger
# or a build that starts right after them fails on a fresh project. The
# functions and the triggers take their identities from this wait, so they
# come after it and after every grant it depends on. Only the run.invoker
# grants, which need the functions' services, come later; a delivery they
# refuse meanwhile is retried.
resource "time_sleep" "iam" {
  create_duration = "120s"

  triggers = {
    event   = google_service_account.event.email
    trigger = google_service_account.trigger.email
    build   = local.build_service_account_email
    webhook = join("", google_service_account.webhook[*].email)
  }

  depends_on = [
    google_project_iam_member.gcs_pubsub_publisher,
    google_project_iam_member.trigger_event_receiver,
    google_project_iam_member.build_log_writer,
    google_project_iam_member.build_sources,
    google_artifact_registry_repository_iam_member.build_images,
    google_storage_bucket_iam_member.event_objects,
    google_storage_bucket_iam_member.webhook_objects,
    google_secret_manager_secret_iam_member.event_tokens,
    google_secret_manager_secret_iam_member.webhook_tokens,
    google_secret_manager_secret_iam_member.webhook_key,
    google_service_account_iam_member.delegation,
  ]
}
