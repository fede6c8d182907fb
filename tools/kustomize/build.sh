#!/usr/bin/env bash
# Builds the kustomize CLI from this folder's go.mod into
# <repo>/.tools/bin/kustomize, unless the binary there was built from the
# same go.mod and go.sum. configs/kubernetes's tests render the overlay with
# it. Pure Go: no cgo, and the compiled packages stay in the Go build cache.
# -buildvcs=false: the only repository here is secds's, whose commit would
# show as kustomize's in `kustomize version` (which finds its own version in
# the build info's dependencies).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/.tools/bin/kustomize"
stamp="$out.stamp"
want="$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -d' ' -f1)"
if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
	exit 0
fi
version="$(sed -n 's/^\s*sigs.k8s.io\/kustomize\/kustomize\/v5 \(v[^ ]*\).*/\1/p' "$here/go.mod" | head -n1)"
echo "building kustomize ${version:-?} into $out"
mkdir -p "$(dirname "$out")"
cd "$here"
CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath \
	-o "$out.tmp" sigs.k8s.io/kustomize/kustomize/v5
mv "$out.tmp" "$out"
echo "$want" >"$stamp"
