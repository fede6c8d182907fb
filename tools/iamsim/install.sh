#!/usr/bin/env bash
# Installs @cloud-copilot/iam-simulate from this folder's package-lock.json
# into <repo>/.tools/iamsim/node_modules with npm ci, unless it is already
# installed from the same package.json and package-lock.json (a stamp file
# records their hash). simulate.mjs stays here and is given that folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/.tools/iamsim"
stamp="$out/.stamp"
want="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [ -d "$out/node_modules/@cloud-copilot/iam-simulate" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	# Like a missing Chromium: the tests decide (they fail under make test).
	echo "npm is missing: cannot install iam-simulate (apt-get install nodejs npm)" >&2
	exit 0
fi
echo "installing @cloud-copilot/iam-simulate into $out"
rm -rf "$out"
mkdir -p "$out"
cp "$here/package.json" "$here/package-lock.json" "$out/"
npm ci --prefix "$out" --ignore-scripts --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
