#!/usr/bin/env bash
# Installs axe-core from this folder's package-lock.json into
# <repo>/.tools/axe/node_modules with npm ci, unless it is already installed
# from the same package.json and package-lock.json (a stamp file records
# their hash). The browser tests inject its axe.min.js into each page
# (internal/e2e/a11y.go); SECDS_AXE_DIR names the folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/.tools/axe"
stamp="$out/.stamp"
want="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ -f "$out/node_modules/axe-core/axe.min.js" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	# Like a missing Chromium: the tests decide (they fail under make test).
	echo "npm is missing: cannot install axe-core (apt-get install nodejs npm)" >&2
	exit 0
fi
echo "installing axe-core into $out"
rm -rf "$out"
mkdir -p "$out"
# npm treats a root reached through a symlink (a worktree's .tools linked
# to the main checkout's) as a link and refuses the lock: use the real path.
out="$(cd "$out" && pwd -P)"
cp "$here/package.json" "$here/package-lock.json" "$out/"
npm ci --prefix "$out" --ignore-scripts --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
