# Secret containers only. The values are added outside Terraform
# (`contactphoto authorize` for the tokens, `gcloud secrets versions add`
# for the webhook key), so no credential ever reaches the Terraform state.

resource "google_secret_manager_secret" "token" {
  secret_id = var.token_secret_id

  replication {
    auto {}
  }

  depends_on = [time_sleep.apis]
}

resource "google_secret_manager_secret" "accounts" {
  for_each = var.accounts

  secret_id = each.value

  replication {
    auto {}
  }

  depends_on = [time_sleep.apis]
}

resource "google_secret_manager_secret" "webhook_key" {
  count = var.webhook_enabled ? 1 : 0

  secret_id = var.webhook_key_secret_id

  replication {
    auto {}
  }

  depends_on = [time_sleep.apis]
}

locals {
  # Every secret holding OAuth credentials, keyed by a name known at plan
  # time so that it can drive for_each.
  token_secrets = merge(
    { "default" = google_secret_manager_secret.token.id },
    { for name, secret in google_secret_manager_secret.accounts : "account-${name}" => secret.id },
  )
}
