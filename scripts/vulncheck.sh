#!/usr/bin/env bash
# vulncheck.sh: run govulncheck against a vulnerability database built
# locally from the golang.org/x/vulndb module, since no vulnerability service
# is reachable here. Exits non-zero when the code calls a known
# vulnerability (govulncheck exits 3) or when a step fails.
#
# Everything downloaded or built is cached outside the repository, in
# ${KEYWARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyward-ci}, keyed by
# version, so a warm run only re-analyses the code.
set -euo pipefail

GOVULNCHECK_VERSION=v1.9.0
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018

repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${KEYWARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyward-ci}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
# govulncheck type-checks the standard library of the Go it runs with, so
# it must be built by that same Go (GOTOOLCHAIN may select a newer one).
goversion="$(cd "$repo" && go env GOVERSION)"
bin="$cache/bin/govulncheck-$GOVULNCHECK_VERSION-$goversion"
db="$cache/vulndb/$VULNDB_VERSION"

log() { printf 'vulncheck: %s\n' "$*" >&2; }

# scratch is a temporary directory outside any module, so that `go`
# commands with module@version never touch the repository's go.mod.
scratch="$(mktemp -d)"
trap 'chmod -R u+w "$scratch" 2>/dev/null || true; rm -rf "$scratch"' EXIT

install_govulncheck() {
	if [[ -x "$bin/govulncheck" ]]; then
		return
	fi
	log "installing govulncheck $GOVULNCHECK_VERSION into $bin"
	mkdir -p "$bin"
	(cd "$scratch" && GOBIN="$bin" GOFLAGS= GOTOOLCHAIN="$goversion" \
		go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION")
}

# vulndb_dir prints the module cache directory of the vulndb module,
# downloading it first if needed.
vulndb_dir() {
	local json dir
	json="$(cd "$scratch" && GOFLAGS= go mod download -json \
		"golang.org/x/vulndb@$VULNDB_VERSION")"
	dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
	if [[ -z "$dir" || ! -d "$dir/data/osv" ]]; then
		log "go mod download gave no data/osv folder for golang.org/x/vulndb:"
		printf '%s\n' "$json" >&2
		return 1
	fi
	printf '%s\n' "$dir"
}

# run_indexdb builds the database from the OSV folder $1 into $2. It tries
# `go run module@version` first and falls back to building the command from
# a writable copy of the downloaded module (replace directives in its go.mod
# make `go run module@version` refuse).
run_indexdb() {
	local osv="$1" out="$2" src="$3"
	if (cd "$scratch" && GOFLAGS= go run \
		"golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" \
		-vulns "$osv" -out "$out") >"$scratch/indexdb.log" 2>&1; then
		return
	fi
	log "go run indexdb@version failed; building it from the module source"
	sed 's/^/  /' "$scratch/indexdb.log" >&2
	local copy="$scratch/vulndb-src"
	mkdir -p "$copy"
	tar -C "$src" --exclude=./data -cf - . | tar -C "$copy" -xf -
	chmod -R u+w "$copy"
	(cd "$copy" && GOFLAGS=-mod=mod go build -o "$scratch/indexdb" ./cmd/indexdb)
	"$scratch/indexdb" -vulns "$osv" -out "$out"
}

build_db() {
	if [[ -f "$db/index/db.json" ]]; then
		return
	fi
	log "building the vulnerability database $VULNDB_VERSION into $db"
	local src tmpdb
	src="$(vulndb_dir)"
	mkdir -p "$cache/vulndb"
	tmpdb="$(mktemp -d "$cache/vulndb/.build.XXXXXX")"
	rmdir "$tmpdb"
	if ! run_indexdb "$src/data/osv" "$tmpdb" "$src"; then
		rm -rf "$tmpdb"
		log "indexdb failed; see the messages above"
		return 1
	fi
	rm -rf "$db"
	mv "$tmpdb" "$db"
}

install_govulncheck
build_db
log "govulncheck $GOVULNCHECK_VERSION, database $VULNDB_VERSION, $goversion"
cd "$repo"
status=0
"$bin/govulncheck" -db "file://$db" ./... || status=$?
case "$status" in
0) log "no called vulnerability found" ;;
3) log "govulncheck found a vulnerability that the code calls (see above)" ;;
*) log "govulncheck failed with status $status" ;;
esac
exit "$status"
