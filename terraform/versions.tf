terraform {
  # 1.9 lets a variable's validation refer to other variables.
  required_version = ">= 1.9"

  # Exact versions, the ones this configuration is validated, tested and
  # planned against. No .terraform.lock.hcl is committed: the checks run
  # against local builds of these releases, whose checksums differ from the
  # registry's, and a lock file holding them would make terraform init fail
  # for everyone else. The exact pins give the same releases without it.
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "7.45.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "2.8.0"
    }
    time = {
      source  = "hashicorp/time"
      version = "0.14.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = {
    app = "contactphoto"
  }
}
