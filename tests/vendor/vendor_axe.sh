#!/bin/bash
# Vendor axe-core's axe.min.js (+ its licence files) into DEST, pinned and integrity-checked.
# usage: tests/vendor/vendor_axe.sh [VERSION] [DEST]   e.g. tests/vendor/vendor_axe.sh 4.14.1 tests/vendor/axe-core
# Needs npm (registry access) once; the vendored files are then committed and used offline.
set -euo pipefail
VERSION=${1:-4.14.1}
DEST=${2:-vendor/axe-core}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
( cd "$work" && npm pack --silent "axe-core@$VERSION" >/dev/null )
tgz="$work/axe-core-$VERSION.tgz"
# npm pack already checks the registry's sha512; check it again against the registry metadata:
want=$(npm view "axe-core@$VERSION" dist.integrity)
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
[ "$want" = "$got" ] || { echo "integrity mismatch: $want != $got" >&2; exit 1; }
mkdir -p "$DEST"
tar -xzf "$tgz" -C "$work" package/axe.min.js package/LICENSE package/LICENSE-3RD-PARTY.txt package/sri-history.json
# axe's own SRI list must agree with the file we vendor
sri=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]['axe.min.js'])" \
      "$work/package/sri-history.json" "$VERSION")
[ "$sri" = "sha256-$(openssl dgst -sha256 -binary "$work/package/axe.min.js" | base64 -w0)" ] \
  || { echo "axe.min.js does not match axe's sri-history.json" >&2; exit 1; }
cp "$work/package/axe.min.js" "$work/package/LICENSE" "$work/package/LICENSE-3RD-PARTY.txt" "$DEST/"
echo "axe-core $VERSION $sri" > "$DEST/VERSION"
head -c 40 "$DEST/axe.min.js"; echo
ls -l "$DEST"
