#!/usr/bin/env bash
# Build geth 1.13.15 (the last geth release that still seals Clique blocks) and Clef, go-ethereum's
# external signer of the same release, into the project-local tools folder .tools/bin/{geth,clef},
# with the machine's Go, from the Go module proxy.
#
#   bash scripts/install_geth.sh
#
# The binaries go to .tools/bin (GOBIN); the module download and build caches are Go's usual ones
# (`go env GOMODCACHE GOCACHE`), so a second checkout on the same machine (CI's fresh clone) builds
# in about a minute instead of ten, and Clef, built after geth from the same module, takes little
# more. Each tool is skipped when .tools/bin/<tool> already reports 1.13.15.
# Exits 0 with a message (and builds nothing) when `go` is not installed: the rest of the project,
# the demo included, works without them; only the local Clique network needs geth, and only the
# external-signer tests need Clef.
#
# Go 1.23 and newer refuse the go:linkname use of geth 1.13's old `memsize` dependency at link
# time, hence -ldflags=-checklinkname=0.
set -euo pipefail

GETH_VERSION="1.13.15"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"

installed_version() {
    # Prints the version of .tools/bin/$1 ("1.13.15-stable"), or nothing. geth prints
    # "Version: 1.13.15-stable" for `geth version`; clef prints "clef version 1.13.15-stable".
    local binary="$TOOLS/bin/$1"
    [ -x "$binary" ] || return 0
    if [ "$1" = geth ]; then
        "$binary" version 2>/dev/null | sed -n 's/^Version: *//p' | head -n1
    else
        "$binary" --version 2>/dev/null | sed -n 's/^.* version *//p' | head -n1
    fi
}

build() {
    # build TOOL: go install github.com/ethereum/go-ethereum/cmd/TOOL@v$GETH_VERSION into .tools/bin.
    local tool="$1" current start end
    current="$(installed_version "$tool")"
    case "$current" in
        "$GETH_VERSION"|"$GETH_VERSION"-*)
            echo "$tool $current is already installed at $TOOLS/bin/$tool" >&2
            return 0
            ;;
    esac
    if [ -n "$current" ]; then
        echo "replacing $TOOLS/bin/$tool (reports '$current', want $GETH_VERSION)" >&2
    fi
    echo "==> building $tool $GETH_VERSION with $(go version | cut -d' ' -f3-) into $TOOLS/bin/$tool (a few minutes the first time)" >&2
    mkdir -p "$TOOLS/bin"
    start=$(date +%s)
    env \
        GOBIN="$TOOLS/bin" \
        GOTOOLCHAIN=local \
        GOFLAGS="$(go env GOFLAGS) -modcacherw" \
        go install -ldflags=-checklinkname=0 "github.com/ethereum/go-ethereum/cmd/$tool@v$GETH_VERSION"
    end=$(date +%s)
    current="$(installed_version "$tool")"
    case "$current" in
        "$GETH_VERSION"|"$GETH_VERSION"-*) ;;
        *)
            echo "error: the build finished but $TOOLS/bin/$tool reports '${current:-nothing}', not $GETH_VERSION" >&2
            exit 1
            ;;
    esac
    echo "==> built $tool $current at $TOOLS/bin/$tool in $((end - start)) s" >&2
}

if ! command -v go >/dev/null 2>&1; then
    if [ -z "$(installed_version geth)" ] || [ -z "$(installed_version clef)" ]; then
        echo "skipping geth and clef: \`go\` is not on PATH. The local Clique network (consortium-evm node ...)" >&2
        echo "  needs geth $GETH_VERSION, the external-signer tests Clef $GETH_VERSION: install Go (1.21+) and" >&2
        echo "  re-run 'bash scripts/install_geth.sh', or set GETH_BINARY / CLEF_BINARY. Everything else works without them." >&2
    fi
    exit 0
fi

build geth
build clef
