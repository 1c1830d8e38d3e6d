#!/usr/bin/env bash
# Builds the Benthos binary the benchmarks compare the indexer with (bench/peer.py), from the Go
# module proxy into a project-local GOBIN, so nothing outside the work tree changes. Building takes
# minutes and needs Go; only the peer benchmark needs it, never the smoke run.
#   scripts/install-benthos.sh [GOBIN]   (default .state/tools/bin)
#
# Why not `go install github.com/benthosdev/benthos/v4/cmd/benthos@v4.27.0`: it first asks the proxy
# for the module's version list (to warn about deprecation), and the proxy refuses that list (403)
# while it serves the v4.27.0 module itself. So the module is downloaded by its exact version and
# built as the main module, with its own go.sum pinning every dependency: the same binary.
set -euo pipefail

VERSION="v4.27.0"
MODULE="github.com/benthosdev/benthos/v4"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
GOBIN_DIR="${1:-$ROOT/.state/tools/bin}"

if [ -x "$GOBIN_DIR/benthos" ]; then
  echo "benthos already at $GOBIN_DIR/benthos"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "Go is needed to build Benthos: install golang (apt-get install golang) and rerun" >&2
  exit 1
fi
mkdir -p "$GOBIN_DIR"
# Module and build caches stay under .state, so `make clean` takes them away.
export GOMODCACHE="${GOMODCACHE:-$ROOT/.state/tools/gomod}"
export GOCACHE="${GOCACHE:-$ROOT/.state/tools/gocache}"
export GOFLAGS="-modcacherw -buildvcs=false"
export CGO_ENABLED=0
# Two cores are shared with Kafka and Elasticsearch: build with one job at a time.
export GOMAXPROCS="${GOMAXPROCS:-1}"

echo "downloading $MODULE@$VERSION"
dir="$(cd /tmp && go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [ -z "$dir" ] || [ ! -f "$dir/go.mod" ]; then
  echo "could not download $MODULE@$VERSION" >&2
  exit 1
fi
src="$ROOT/.state/tools/src/benthos-$VERSION"
rm -rf "$src"
mkdir -p "$(dirname "$src")"
cp -r "$dir" "$src"
chmod -R u+w "$src"
echo "building benthos $VERSION into $GOBIN_DIR (several minutes)"
# -checklinkname=0: a dependency (parquet-go's hashprobe) reaches into the Go runtime with
# //go:linkname, which Go 1.23 and later refuse to link unless told not to check.
(cd "$src" && go build -p 1 -trimpath -ldflags "-s -w -checklinkname=0 -X github.com/benthosdev/benthos/v4/internal/cli.Version=${VERSION#v}" \
  -o "$GOBIN_DIR/benthos.tmp" ./cmd/benthos)
mv "$GOBIN_DIR/benthos.tmp" "$GOBIN_DIR/benthos"
"$GOBIN_DIR/benthos" --version
