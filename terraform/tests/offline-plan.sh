#!/usr/bin/env bash
# Plans the deployment against the real providers with no network, as a
# user's checkout would be planned, and checks the source zip that the plan
# builds: credential files lying in the checkout stay out of it, it holds
# no tests, and the unzipped tree builds.
#
#   terraform/tests/offline-plan.sh PLUGIN_DIR
#
# PLUGIN_DIR holds the providers for terraform init -plugin-dir. The plan
# needs no Google account: the provider gets a throwaway service account
# key made here, and nothing in the configuration calls an API at plan time
# on a fresh state (the data sources wait for the APIs to be enabled).
set -euo pipefail

plugins=${1:?usage: $0 PLUGIN_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "offline-plan: $*" >&2; exit 1; }

# The checkout as a user has it after following the README: the OAuth
# client, a token file and the webhook key in the repository root, and
# stray files inside a package the function links; names with glob
# characters too, which must match only themselves.
mkdir "$work/repo"
tar -C "$root" --exclude=./.git --exclude=./terraform/.terraform --exclude=./terraform/build \
  --exclude='./terraform/*.tfstate*' --exclude=./terraform/.terraform.lock.hcl -cf - . | tar -C "$work/repo" -xf -
mkdir -p "$work/repo/.git" && echo 'ref: refs/heads/main' > "$work/repo/.git/HEAD"
echo '{"installed":{"client_id":"x","client_secret":"stray"}}' > "$work/repo/client_secret.json"
echo '{"type":"authorized_user","refresh_token":"stray"}' > "$work/repo/token.json"
printf 'stray' > "$work/repo/webhook.key"
printf 'stray' > "$work/repo/webhook[old].key"
echo '{"refresh_token":"stray"}' > "$work/repo/gcs/token.json"
echo '{"refresh_token":"stray"}' > "$work/repo/gcs/token[1].json"
strays=(client_secret.json token.json webhook.key 'webhook[old].key' gcs/token.json 'gcs/token[1].json' .git/HEAD)

# A throwaway service account key: never valid anywhere.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/key.pem" 2>/dev/null
{
  printf '{"type":"service_account","project_id":"contactphoto-ci","private_key_id":"%s",' "$(openssl rand -hex 20)"
  printf '"private_key":"%s",' "$(awk '{printf "%s\\n", $0}' "$work/key.pem")"
  printf '"client_email":"plan@contactphoto-ci.iam.gserviceaccount.com","client_id":"100000000000000000000",'
  printf '"token_uri":"https://oauth2.googleapis.com/token"}\n'
} > "$work/key.json"

# No network at all where the kernel lets us take it away.
offline=()
if unshare -n true 2>/dev/null; then
  offline=(unshare -n)
else
  echo "offline-plan: cannot drop the network here (unshare -n); planning without the guarantee"
fi

cd "$work/repo/terraform"
terraform init -input=false -plugin-dir="$plugins" >/dev/null
export GOOGLE_CREDENTIALS="$work/key.json"
plan() {
  "${offline[@]}" terraform plan -input=false -lock=false -no-color -var project_id=contactphoto-ci -var region=europe-west1 "$@" >"$work/plan.txt" ||
    { cat "$work/plan.txt"; fail "terraform plan $* failed"; }
  grep '^Plan:' "$work/plan.txt"
}
echo "defaults:"
plan
echo "every option on:"
plan -var webhook_enabled=true -var webhook_public=true \
  -var 'webhook_invokers=["serviceAccount:crm@contactphoto-ci.iam.gserviceaccount.com"]' \
  -var 'accounts={alice="contacts-token-alice"}' \
  -var 'delegation_service_accounts=["contacts-dwd@contactphoto-ci.iam.gserviceaccount.com"]' \
  -var build_service_account=builder@contactphoto-ci.iam.gserviceaccount.com \
  -var create_bucket=false -var bucket_name=contactphoto-ci-photos

zip=build/contactphoto-source.zip
[ -s "$zip" ] || fail "the plan built no $zip"
unzip -Z1 "$zip" | sort >"$work/zip.txt"
for f in "${strays[@]}"; do
  if grep -qxF "$f" "$work/zip.txt"; then fail "the source zip holds $f"; fi
done
if grep -E '_test\.go$|(^|/)testdata/' "$work/zip.txt"; then fail "the source zip holds tests or test data"; fi
echo "source zip: $(wc -l <"$work/zip.txt") files, none of the stray credentials, no tests"

# The zip alone builds: every package in it, offline, from the module cache.
mkdir "$work/unzipped"
unzip -q "$zip" -d "$work/unzipped"
# Both ways: as the function's build does (see functions.tf), and without
# the simd experiment, as a build that drops it would.
(cd "$work/unzipped" && GOFLAGS=-mod=mod GOPROXY=off GOEXPERIMENT=simd go build ./...) || fail "the unzipped source does not build with GOEXPERIMENT=simd"
(cd "$work/unzipped" && GOFLAGS=-mod=mod GOPROXY=off GOEXPERIMENT= go build ./...) || fail "the unzipped source does not build"
echo "source zip: builds on its own"
