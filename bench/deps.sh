#!/usr/bin/env bash
# Measures what the dependencies cost a first build: for the CLI and the
# function, with and without the storage library's disable_grpc_modules build
# tag, a cold build (empty build cache) is timed (CPU user+sys and peak RSS
# from /usr/bin/time), the binary's size is taken, and its packages and code
# are counted per module. The module downloads a fresh clone needs are counted
# from a fresh module cache filled from the local one (no network), for
# `go build ./cmd/contactphoto` and for `go test ./...`.
#
# Usage: bench/deps.sh   (writes bench/DEPS.md; takes a few CPU-minutes)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_WORK:-$root/bench/.work}/deps
rm -rf "$work" && mkdir -p "$work/src"
# Measure the committed tree, whatever the working copy holds.
git -C "$root" archive HEAD | tar -x -C "$work/src"
cd "$work/src"
if [ ! -x /usr/bin/time ]; then
	apt-get update -qq && apt-get install -y -qq time >/dev/null
fi
modcache=$(go env GOMODCACHE)
out=$root/bench/DEPS.md

# module_of prints "package module" for every package the build links.
module_of() { go list -tags "$1" -deps -f '{{.ImportPath}} {{with .Module}}{{.Path}}{{else}}std{{end}}' "$2"; }

{
echo "# What the dependencies cost a first build"
echo
echo "Made by bench/deps.sh on $(go version | cut -d' ' -f3-), $(nproc) CPUs; CPU time is user+sys of a build"
echo "with an empty build cache (GOCACHE), which is what a fresh clone pays once."
echo
echo "| build | tags | CPU s | peak RSS MiB | binary MiB | packages | modules |"
echo "|---|---|---:|---:|---:|---:|---:|"
} > "$out.tmp"

# TARGETS picks what to build: "cli", "function" or both (the default).
targets=()
case ${TARGETS:-cli function} in *cli*) targets+=(./cmd/contactphoto) ;; esac
case ${TARGETS:-cli function} in *function*) targets+=(.) ;; esac
for target in "${targets[@]}"; do
	for tags in "" disable_grpc_modules; do
		tag=${tags:-none}
		name=$(basename "$target"); [ "$target" = . ] && name=function
		cache=$work/cache-$name-$tag
		bin=$work/$name-$tag
		if [ "$target" = . ]; then
			# The function is built as Cloud Build does: a main package that
			# imports the root package and starts the functions framework.
			mkdir -p "$work/src/fnmain"
			cat > "$work/src/fnmain/main.go" <<'GO'
package main

import (
	_ "github.com/contactphoto/contactphoto"
	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
)

func main() { funcframework.Start("8080") }
GO
			pkg=./fnmain
		else
			pkg=$target
		fi
		GOCACHE=$cache /usr/bin/time -f "%U %S %M" -o "$work/time" \
			go build -tags "$tags" -o "$bin" "$pkg"
		read -r user sys rss < "$work/time"
		module_of "$tags" "$pkg" > "$work/mods-$name-$tag.txt"
		npk=$(grep -vc ' std$' "$work/mods-$name-$tag.txt" || true)
		nmod=$(awk '$2!="std"{print $2}' "$work/mods-$name-$tag.txt" | sort -u | wc -l)
		size=$(stat -c %s "$bin")
		printf '| %s | %s | %.0f | %d | %.1f | %d | %d |\n' "$name" "$tag" "$(echo "$user + $sys" | bc)" $((rss / 1024)) \
			"$(echo "scale=2; $size / 1048576" | bc)" "$npk" "$nmod" >> "$out.tmp"
		rm -rf "$cache"
		# Packages and linked bytes per module. (Compile time per module is
		# not shown: the build's own timings are wall time, which the load
		# of a shared machine distorts.)
		python3 "$root/bench/permodule.py" "$work/mods-$name-$tag.txt" "$bin" > "$work/per-module-$name-$tag.md"
	done
done

# Downloads: a fresh module cache filled from the local one's download
# cache, so that nothing leaves the machine.
fresh() {
	local dir=$work/modcache-$1; shift
	rm -rf "$dir"
	GOMODCACHE=$dir GOPROXY=file://$modcache/cache/download GOSUMDB=off GOFLAGS=-mod=readonly "$@" >/dev/null
	local zips mib
	zips=$(find "$dir/cache/download" -name '*.zip' | wc -l)
	mib=$(du -sm "$dir/cache/download" | cut -f1)
	echo "$zips module zips, $mib MiB downloaded; $(du -sm "$dir" | cut -f1) MiB in the module cache"
	chmod -R u+w "$dir" && rm -rf "$dir"
}
{
echo
echo "Downloads for a fresh clone (a module cache filled from scratch):"
echo
echo "- \`go build ./cmd/contactphoto\`: $(fresh cli go list -deps ./cmd/contactphoto)"
echo "- \`go build -tags disable_grpc_modules ./cmd/contactphoto\`: $(fresh clitag go list -tags disable_grpc_modules -deps ./cmd/contactphoto)"
echo "- \`go test ./...\`: $(fresh test go list -deps -test ./...)"
echo "- \`go test -tags disable_grpc_modules ./...\`: $(fresh testtag go list -tags disable_grpc_modules -deps -test ./...)"
echo
for f in "$work"/per-module-*.md; do
	echo "## $(basename "$f" .md | sed 's/per-module-//')"
	echo
	cat "$f"
	echo
done
} >> "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out" >&2
