output "upload_bucket" {
  description = "Bucket whose uploads become contact photos."
  value       = local.upload_bucket
}

output "upload_command" {
  description = "Uploads a photo for one contact; replace the contact with one of yours (its resourceName, c1234567890, or an email address)."
  value       = "gcloud storage cp photo.jpg gs://${local.upload_bucket}/ --custom-metadata=${var.contact_metadata_key}=people/c1234567890"
}

output "token_secret" {
  description = "Secret that holds the default account's OAuth credentials. It is empty until you run authorize_command."
  value       = google_secret_manager_secret.token.id
}

output "authorize_command" {
  description = "Stores the default account's refresh token in token_secret; run it from the repository root (see README.md, Deploy)."
  value       = "go run ./cmd/contactphoto authorize --client-secret client_secret.json --secret ${google_secret_manager_secret.token.id}"
}

output "account_authorize_commands" {
  description = "The authorize command of each further account, signed in as that account's user."
  value = {
    for name, secret in google_secret_manager_secret.accounts :
    name => "go run ./cmd/contactphoto authorize --client-secret client_secret.json --secret ${secret.id}"
  }
}

output "event_function" {
  description = "Name of the function that handles uploads."
  value       = google_cloudfunctions2_function.event.name
}

output "logs_command" {
  description = "Prints the event function's latest 50 log entries of the last day, newest first: time, severity, object, contact and message, tab-separated (use webhook_function the same way)."
  value       = "gcloud logging read 'resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"${google_cloudfunctions2_function.event.name}\"' --project ${var.project_id} --freshness 1d --limit 50 --format 'value(timestamp,severity,jsonPayload.object,jsonPayload.contact,jsonPayload.message)'"
}

output "webhook_function" {
  description = "Name of the webhook function; null when webhook_enabled is false."
  value       = var.webhook_enabled ? google_cloudfunctions2_function.webhook[0].name : null
}

output "webhook_url" {
  description = "URL of the webhook; null when webhook_enabled is false."
  value       = var.webhook_enabled ? google_cloudfunctions2_function.webhook[0].service_config[0].uri : null
}

output "webhook_key_secret" {
  description = "Secret that holds the webhook's HMAC key; null when webhook_enabled is false."
  value       = var.webhook_enabled ? google_secret_manager_secret.webhook_key[0].id : null
}

output "webhook_key_command" {
  description = "Adds a random HMAC key to webhook_key_secret (the key is the payload's bytes, so no trailing newline); null when webhook_enabled is false."
  value       = var.webhook_enabled ? "openssl rand -hex 32 | tr -d '\\n' | gcloud secrets versions add ${google_secret_manager_secret.webhook_key[0].id} --data-file=-" : null
}

output "service_accounts" {
  description = "Emails of the identities the deployment uses: the event function's, the webhook's (when enabled), the Eventarc triggers' and Cloud Build's."
  value = {
    event   = google_service_account.event.email
    webhook = var.webhook_enabled ? google_service_account.webhook[0].email : null
    trigger = google_service_account.trigger.email
    build   = local.build_service_account_email
  }
}
