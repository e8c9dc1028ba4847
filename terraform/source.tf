# The function is built by Cloud Build from a zip of its build inputs, and
# of nothing else: go.mod, go.sum, the non-test Go files of the packages the
# root package links, and the files they embed. An allow-list, so that
# whatever else lies in the checkout (client_secret.json, token.json,
# webhook.key, build outputs, editor files) never leaves the machine.

locals {
  source_root = "${path.module}/.."

  # The packages the root package links (go list -deps . in the module
  # root) live in the root and under these trees. A package added under one
  # of them (say imaging/internal/heif) is picked up without a change here.
  # The Go tests in this directory fail when the root links a package
  # outside them, or when a package under them imports one outside them.
  # internal/ holds the local Eventarc, server and stand-ins too, so only
  # its logging, memory budget and redaction packages are taken.
  source_trees = ["gcs", "imaging", "internal/cloudlog", "internal/membudget", "internal/redact", "people", "tokens"]

  # Files that //go:embed directives of those packages read.
  source_assets = [
    "imaging/cascade/facefinder",
    "imaging/cascade/haarcascade_frontalface_alt2.xml",
    "imaging/cascade/haarcascade_profileface.xml",
    "imaging/model/tiny_face_detector_model-weights_manifest.json",
    "imaging/model/tiny_face_detector_model.bin",
  ]

  source_go = setunion(
    fileset(local.source_root, "*.go"),
    flatten([for tree in local.source_trees : tolist(fileset(local.source_root, "${tree}/**/*.go"))]),
  )

  # Tests, test data, the stand-in packages (named like gcstest, after
  # net/http/httptest) and the files the go command ignores (names starting
  # with "." or "_") are no build input.
  source_files = setunion(
    ["go.mod", "go.sum"],
    local.source_assets,
    [
      for f in local.source_go : f
      if !endswith(f, "_test.go") && !can(regex("(^|/)(testdata|[^/]*test)/", f)) && !can(regex("(^|/)[._]", f))
    ],
  )

  # archive_file can only leave things out, so the zip is everything minus
  # what is not on the list: each top-level entry holding nothing on the
  # list (.git, terraform/ with the zip itself, cmd/, stray files), then each
  # other file. Glob characters in names are escaped, so that every name
  # matches only itself.
  source_all  = fileset(local.source_root, "**")
  source_tops = toset([for f in local.source_files : split("/", f)[0]])
  source_excludes = [
    for f in setunion(
      [for top in toset([for f in local.source_all : split("/", f)[0]]) : top if !contains(local.source_tops, top)],
      [for f in setsubtract(local.source_all, local.source_files) : f if contains(local.source_tops, split("/", f)[0])],
    ) : replace(f, "/([][*?{}\\\\])/", "\\$1")
  ]
}

data "archive_file" "source" {
  type        = "zip"
  source_dir  = local.source_root
  excludes    = local.source_excludes
  output_path = "${path.module}/build/contactphoto-source.zip"
  # The same tree gives the same zip whatever the umask of the checkout.
  output_file_mode = "0644"
}

resource "google_storage_bucket_object" "source" {
  # Named by the zip's hash, so that a code change is a new object, which
  # redeploys the functions, and an unchanged tree redeploys nothing.
  name   = "contactphoto-${data.archive_file.source.output_sha256}.zip"
  bucket = google_storage_bucket.source.name
  source = data.archive_file.source.output_path
}
