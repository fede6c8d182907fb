#!/usr/bin/env bash
# Builds Ory Hydra from this folder's go.mod into <repo>/.tools/bin/hydra,
# unless the binary there was built from the same go.mod and go.sum. The
# sqlite tags give Hydra its in-memory database (DSN=memory); they need cgo.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/.tools/bin/hydra"
stamp="$out.stamp"
want="$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -d' ' -f1)"
if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
	exit 0
fi
version="$(sed -n 's/^\s*github.com\/ory\/hydra\/v2 \(v[^ ]*\).*/\1/p' "$here/go.mod" | head -n1)"
echo "building Ory Hydra ${version:-?} into $out (a couple of minutes the first time)"
mkdir -p "$(dirname "$out")"
cd "$here"
CGO_ENABLED=1 GOFLAGS=-mod=readonly go build -trimpath \
	-tags sqlite,sqlite_omit_load_extension \
	-ldflags "-X github.com/ory/hydra/v2/driver/config.Version=${version}" \
	-o "$out.tmp" github.com/ory/hydra/v2
mv "$out.tmp" "$out"
echo "$want" >"$stamp"
