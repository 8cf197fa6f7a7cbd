#!/usr/bin/env bash
# Build geth 1.13.15 (the last geth release that still seals Clique blocks) into the project-local
# tools folder .tools/bin/geth, with the machine's Go, from the Go module proxy.
#
#   bash scripts/install_geth.sh
#
# The binary goes to .tools/bin (GOBIN); the module download and build caches are Go's usual ones
# (`go env GOMODCACHE GOCACHE`), so a second checkout on the same machine (CI's fresh clone) builds
# in about a minute instead of ten. Does nothing when .tools/bin/geth already reports 1.13.15.
# Exits 0 with a message (and builds nothing) when `go` is not installed: the rest of the project,
# the demo included, works without geth; only the local Clique network needs it.
#
# Go 1.23 and newer refuse the go:linkname use of geth 1.13's old `memsize` dependency at link
# time, hence -ldflags=-checklinkname=0.
set -euo pipefail

GETH_VERSION="1.13.15"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
GETH="$TOOLS/bin/geth"

installed_version() {
    # Prints the version line of .tools/bin/geth ("1.13.15-stable"), or nothing.
    [ -x "$GETH" ] || return 0
    "$GETH" version 2>/dev/null | sed -n 's/^Version: *//p' | head -n1
}

current="$(installed_version)"
case "$current" in
    "$GETH_VERSION"|"$GETH_VERSION"-*)
        echo "geth $current is already installed at $GETH" >&2
        exit 0
        ;;
esac

if ! command -v go >/dev/null 2>&1; then
    echo "skipping geth: \`go\` is not on PATH. The local Clique network (consortium-evm node ...)" >&2
    echo "  needs geth $GETH_VERSION: install Go (1.21+) and re-run 'bash scripts/install_geth.sh'," >&2
    echo "  or set GETH_BINARY=/path/to/geth-$GETH_VERSION. Everything else works without it." >&2
    exit 0
fi

if [ -n "$current" ]; then
    echo "replacing $GETH (reports '$current', want $GETH_VERSION)" >&2
fi
echo "==> building geth $GETH_VERSION with $(go version | cut -d' ' -f3-) into $GETH (a few minutes the first time)" >&2

mkdir -p "$TOOLS/bin"
start=$(date +%s)
env \
    GOBIN="$TOOLS/bin" \
    GOTOOLCHAIN=local \
    GOFLAGS="$(go env GOFLAGS) -modcacherw" \
    go install -ldflags=-checklinkname=0 "github.com/ethereum/go-ethereum/cmd/geth@v$GETH_VERSION"
end=$(date +%s)

current="$(installed_version)"
case "$current" in
    "$GETH_VERSION"|"$GETH_VERSION"-*) ;;
    *)
        echo "error: the build finished but $GETH reports '${current:-nothing}', not $GETH_VERSION" >&2
        exit 1
        ;;
esac
echo "==> built geth $current at $GETH in $((end - start)) s" >&2
