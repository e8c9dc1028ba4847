# The function is built by Cloud Build from the module root: go.mod, go.sum
# and the packages the root package imports. Everything else stays out.
data "archive_file" "source" {
  type        = "zip"
  source_dir  = "${path.module}/.."
  output_path = "${path.module}/build/contactphoto-source.zip"
  # The same tree gives the same zip whatever the umask of the checkout.
  output_file_mode = "0644"

  # Patterns are matched against paths relative to source_dir. Hidden files
  # are ".?*": ".*" would also match the root itself (".") and empty the zip.
  # Build outputs that .gitignore keeps out of the repository stay out too.
  excludes = [
    "**/.?*",
    "**/*_test.go",
    "**/testdata",
    "**/*.test",
    "**/*.prof",
    "bench",
    "cmd",
    "contactphoto",
    "demo-output",
    "terraform",
  ]
}

resource "google_storage_bucket_object" "source" {
  # Named by the zip's hash, so that a code change is a new object, which
  # redeploys the functions, and an unchanged tree redeploys nothing.
  name   = "contactphoto-${data.archive_file.source.output_sha256}.zip"
  bucket = google_storage_bucket.source.name
  source = data.archive_file.source.output_path
}
