# Where and under which names the deployment lives.

variable "project_id" {
  description = "ID of the Google Cloud project to deploy into, such as my-project-123."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6 to 30 lower-case letters, digits or hyphens, starting with a letter), not a project name or number."
  }
}

variable "region" {
  description = "Region of the functions, of the buckets this configuration creates and of the trigger, such as europe-west1 or us-central1."
  type        = string

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a region such as europe-west1 or us-central1, not a zone (us-central1-a) or a multi-region (EU)."
  }
}

variable "name_prefix" {
  description = "Names the functions (PREFIX and PREFIX-webhook), the service accounts (PREFIX-event, PREFIX-webhook, PREFIX-trigger, PREFIX-build), the Artifact Registry repository (PREFIX), the metadata trigger (PREFIX-metadata-updated) and the buckets this configuration creates."
  type        = string
  default     = "contactphoto"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2 to 21 lower-case letters, digits or hyphens, starting with a letter and not ending with a hyphen."
  }
}

# The upload bucket.

variable "create_bucket" {
  description = "Create the upload bucket. Set to false to use an existing bucket named by bucket_name."
  type        = bool
  default     = true
}

variable "bucket_name" {
  description = "Name of the upload bucket. When create_bucket is true, null means PROJECT_ID-PREFIX-uploads. When create_bucket is false, the existing bucket to watch (required); the trigger is then put in that bucket's location."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a bucket name: 3 to 63 lower-case letters, digits, '-', '_' or '.'."
  }
  validation {
    condition     = var.create_bucket || var.bucket_name != null
    error_message = "bucket_name is required when create_bucket is false."
  }
}

variable "upload_retention_days" {
  description = "Delete uploaded photos this many days after upload; 0 keeps them. Only applies to a bucket this configuration creates."
  type        = number
  default     = 0

  validation {
    condition     = var.upload_retention_days >= 0 && floor(var.upload_retention_days) == var.upload_retention_days
    error_message = "upload_retention_days must be a whole number of days, 0 or more."
  }
}

variable "force_destroy_uploads" {
  description = "Let terraform destroy delete the upload bucket this configuration created even when photos are still in it."
  type        = bool
  default     = false
}

# Secrets. Terraform creates the containers only: the refresh tokens never
# pass through Terraform or its state.

variable "token_secret_id" {
  description = "Secret Manager secret that holds the default account's OAuth credentials, written by `contactphoto authorize`."
  type        = string
  default     = "contacts-token"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.token_secret_id))
    error_message = "token_secret_id must be a secret ID: letters, digits, '_' or '-'."
  }
}

variable "accounts" {
  description = "More accounts, as account name => secret ID, such as { alice = \"contacts-token-alice\" }. An object whose metadata has account=alice uses Alice's token (ACCOUNTS)."
  type        = map(string)
  default     = {}

  validation {
    condition = length([
      for name, secret in var.accounts : name
      if !can(regex("^[^,= \t\r\n]{1,128}$", name)) || !can(regex("^[A-Za-z0-9_-]{1,255}$", secret))
    ]) == 0
    error_message = "accounts must map names of 1 to 128 characters without spaces, commas or '=' to secret IDs (letters, digits, '_' or '-')."
  }
}

# The functions' size.

variable "memory" {
  description = "Memory of each function instance."
  type        = string
  default     = "256M"

  validation {
    condition     = contains(["256M", "512M", "1G", "2G", "4G"], var.memory)
    error_message = "memory must be one of 256M, 512M, 1G, 2G or 4G."
  }
}

variable "cpu" {
  description = "vCPUs of each function instance. Handling more than one event at a time needs at least 1."
  type        = string
  default     = "1"

  validation {
    condition     = contains(["1", "2", "4"], var.cpu)
    error_message = "cpu must be 1, 2 or 4."
  }
}

variable "max_instance_count" {
  description = "Most instances of each function. Keep 1: a single instance is what keeps one account's People API writes in order and within its pace; more instances each pace on their own."
  type        = number
  default     = 1

  validation {
    condition     = var.max_instance_count >= 1 && var.max_instance_count <= 100 && floor(var.max_instance_count) == var.max_instance_count
    error_message = "max_instance_count must be a whole number from 1 to 100."
  }
}

variable "max_instance_request_concurrency" {
  description = "Events (or webhook requests) one instance handles at once. Writes to one account are serialised inside the instance whatever this is."
  type        = number
  default     = 4

  validation {
    condition     = var.max_instance_request_concurrency >= 1 && var.max_instance_request_concurrency <= 100 && floor(var.max_instance_request_concurrency) == var.max_instance_request_concurrency
    error_message = "max_instance_request_concurrency must be a whole number from 1 to 100."
  }
}

# The function's configuration. Each variable sets one environment variable
# that LoadConfig reads; the defaults are the code's defaults.

variable "contact_metadata_key" {
  description = "Object metadata key naming the contact, matched case-insensitively (CONTACT_METADATA_KEY)."
  type        = string
  default     = "resourceName"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,128}$", var.contact_metadata_key))
    error_message = "contact_metadata_key must be 1 to 128 letters, digits, '.', '_' or '-'."
  }
}

variable "contact_from_filename" {
  description = "Without the metadata key, take the contact from the file name, such as c1234567890.jpg or alice@example.com.jpg (CONTACT_FROM_FILENAME)."
  type        = bool
  default     = false
}

variable "max_object_bytes" {
  description = "Larger objects are refused before they are downloaded (MAX_OBJECT_BYTES)."
  type        = number
  default     = 41943040

  validation {
    condition     = var.max_object_bytes >= 1 && var.max_object_bytes <= 1099511627776 && floor(var.max_object_bytes) == var.max_object_bytes
    error_message = "max_object_bytes must be a whole number of bytes from 1 to 1099511627776."
  }
}

variable "photo_size" {
  description = "Edge in pixels of the square photo sent to the People API; smaller images are not upscaled (PHOTO_SIZE)."
  type        = number
  default     = 720

  validation {
    condition     = var.photo_size >= 16 && var.photo_size <= 2000 && floor(var.photo_size) == var.photo_size
    error_message = "photo_size must be a whole number of pixels from 16 to 2000."
  }
}

variable "crop" {
  description = "How the square is chosen: face, center or none (CROP)."
  type        = string
  default     = "face"

  validation {
    condition     = contains(["face", "center", "none"], var.crop)
    error_message = "crop must be face, center or none."
  }
}

variable "max_pixels" {
  description = "Pixel budget for JPEG, checked from the header before decoding (MAX_PIXELS). JPEG is decoded at a reduced size, so a 200 MP photo fits in 256 MiB; other formats are decoded whole and keep a fixed budget of 40 million pixels."
  type        = number
  default     = 250000000

  validation {
    condition     = var.max_pixels >= 1 && var.max_pixels <= 1099511627776 && floor(var.max_pixels) == var.max_pixels
    error_message = "max_pixels must be a whole number from 1 to 1099511627776."
  }
}

variable "max_photo_bytes" {
  description = "Byte budget of the photo sent; the JPEG quality steps down until it fits (MAX_PHOTO_BYTES)."
  type        = number
  default     = 307200

  validation {
    condition     = var.max_photo_bytes >= 8192 && var.max_photo_bytes <= 10485760 && floor(var.max_photo_bytes) == var.max_photo_bytes
    error_message = "max_photo_bytes must be a whole number of bytes from 8192 to 10485760."
  }
}

variable "people_writes_per_minute" {
  description = "Client-side pace of photo writes per account and per instance (PEOPLE_WRITES_PER_MINUTE)."
  type        = number
  default     = 50

  validation {
    condition     = var.people_writes_per_minute >= 1 && var.people_writes_per_minute <= 6000 && floor(var.people_writes_per_minute) == var.people_writes_per_minute
    error_message = "people_writes_per_minute must be a whole number from 1 to 6000."
  }
}

variable "people_person_fields" {
  description = "Fields the People API returns after each update, such as photos to log the new photo URL; empty asks for none and saves read quota (PEOPLE_PERSON_FIELDS)."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([A-Za-z]+(,[A-Za-z]+)*)?$", var.people_person_fields))
    error_message = "people_person_fields must be empty or a comma-separated list of field names such as photos,names."
  }
}

variable "max_event_age" {
  description = "Events older than this are acknowledged and logged, never processed, so that nothing is retried forever: a Go duration such as 24h or 90m (MAX_EVENT_AGE)."
  type        = string
  default     = "24h"

  validation {
    condition     = can(regex("^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$", var.max_event_age)) && can(regex("[1-9]", var.max_event_age))
    error_message = "max_event_age must be a positive Go duration such as 24h, 90m or 1h30m."
  }
}

variable "status_writeback" {
  description = "Record each object's outcome in its own metadata (contactphoto-status and friends), which also makes redelivered events free (STATUS_WRITEBACK). Needs permission to update object metadata in the upload bucket."
  type        = bool
  default     = true
}

# The webhook.

variable "webhook_enabled" {
  description = "Deploy the HTTP function UpdateContactPhotoWebhook next to the event function."
  type        = bool
  default     = false
}

variable "webhook_invokers" {
  description = "Principals allowed to call the webhook through Cloud Run IAM, such as serviceAccount:crm@my-project.iam.gserviceaccount.com or user:admin@example.com. Every request is also checked against the HMAC key."
  type        = list(string)
  default     = []

  validation {
    condition = length([
      for m in var.webhook_invokers : m
      if !can(regex("^(user|group|serviceAccount|domain|principal|principalSet):.+$", m))
    ]) == 0
    error_message = "webhook_invokers must be IAM principals such as user:… or serviceAccount:…; public access is webhook_public."
  }
}

variable "webhook_public" {
  description = "Let anyone on the internet call the webhook (Cloud Run invoker for allUsers). The HMAC signature is then the only lock: use it only for senders that cannot present a Google identity token."
  type        = bool
  default     = false
}

variable "webhook_buckets" {
  description = "Buckets whose objects the webhook may re-run (WEBHOOK_BUCKETS). null means the upload bucket; [] turns re-runs off. The webhook's service account gets read (and, with status_writeback, metadata update) on each."
  type        = list(string)
  default     = null

  validation {
    condition = length([
      for b in coalesce(var.webhook_buckets, []) : b
      if !can(regex("^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$", b))
    ]) == 0
    error_message = "webhook_buckets must be bucket names."
  }
}

variable "webhook_key_secret_id" {
  description = "Secret Manager secret that holds the webhook's HMAC key (WEBHOOK_SECRET). Terraform creates it empty; add the key as a version."
  type        = string
  default     = "contactphoto-webhook-key"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.webhook_key_secret_id))
    error_message = "webhook_key_secret_id must be a secret ID: letters, digits, '_' or '-'."
  }
}

# Optional integrations.

variable "delegation_service_accounts" {
  description = "Emails of service accounts that Google Workspace domain-wide delegation secrets name (README.md, Tokens and accounts). The functions' service accounts may sign JWTs as these accounts, and as no others."
  type        = list(string)
  default     = []

  validation {
    condition = length([
      for e in var.delegation_service_accounts : e
      if !can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\\.iam\\.gserviceaccount\\.com$", e))
    ]) == 0
    error_message = "delegation_service_accounts must be service account emails such as contacts-dwd@my-project.iam.gserviceaccount.com."
  }
}

variable "build_service_account" {
  description = "Email of a service account of your own for Cloud Build to build the functions as. null creates PREFIX-build with the roles a build needs (README.md, Deploy). Your own account is granted writer on the functions' Artifact Registry repository only; it must already be allowed to write logs and to read the gcf-v2-sources bucket."
  type        = string
  default     = null

  validation {
    condition     = var.build_service_account == null || can(regex("^[^@\\s]+@[^@\\s]+\\.iam\\.gserviceaccount\\.com$", var.build_service_account))
    error_message = "build_service_account must be a service account email."
  }
}
