# The upload bucket: created here by default, or an existing one.

resource "google_storage_bucket" "uploads" {
  count = var.create_bucket ? 1 : 0

  name = coalesce(var.bucket_name, "${var.project_id}-${var.name_prefix}-uploads")
  # The trigger must be in the bucket's location; a bucket in the
  # functions' region keeps the events and the photos in one region.
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy_uploads

  # Uploads that were started and never finished cost storage for nothing.
  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  dynamic "lifecycle_rule" {
    for_each = var.upload_retention_days > 0 ? [var.upload_retention_days] : []
    content {
      condition {
        age = lifecycle_rule.value
      }
      action {
        type = "Delete"
      }
    }
  }

  depends_on = [time_sleep.apis]
}

data "google_storage_bucket" "existing" {
  count = var.create_bucket ? 0 : 1

  name = var.bucket_name

  # Read once the Cloud Storage API is on.
  depends_on = [time_sleep.apis]
}

locals {
  upload_bucket = var.create_bucket ? google_storage_bucket.uploads[0].name : data.google_storage_bucket.existing[0].name
  # Eventarc only sees a bucket's events in the bucket's own location: its
  # region, or a dual- or multi-region such as "us".
  trigger_region = var.create_bucket ? var.region : lower(data.google_storage_bucket.existing[0].location)
}

# The source bucket holds the zipped source the functions are built from.

resource "google_storage_bucket" "source" {
  name                        = "${var.project_id}-${var.name_prefix}-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  # It only ever holds the zips Terraform uploads.
  force_destroy = true

  # Replaced zips need no undelete window.
  soft_delete_policy {
    retention_duration_seconds = 0
  }

  depends_on = [time_sleep.apis]
}
