#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# make check: the Kubernetes manifests of k8s/ render, lint and are safe.
#
# Every kustomization under k8s/ is rendered with `kubectl kustomize` (it
# needs no cluster; Debian's kubectl 1.20, package kubernetes-client, and
# newer ones), every YAML file passes `yamllint -s` with the committed
# .yamllint, and check-manifests.py asserts the security properties of the
# rendered objects, including `tpmproxyd --check-config` on each ConfigMap.
# Then it proves the checks can fail: yamllint on a broken file, and every
# mutation of check-manifests.py --mutations (one broken property each, in
# memory) must be reported under the rule it breaks.
#
# Environment: KUBECTL, YAMLLINT (default: from PATH), top_srcdir,
# top_builddir (set by make check).
set -euo pipefail

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${KUBECTL:=$(command -v kubectl || true)}"
: "${YAMLLINT:=$(command -v yamllint || true)}"
: "${PYTHON:=/usr/bin/python3}"
daemon=$top_builddir/src/tpmproxyd
k8s=$top_srcdir/k8s

say() { echo "[check-manifests] $*"; }
fail() { echo "FAIL: check-manifests: $*" >&2; exit 1; }
skip() { echo "SKIP: check-manifests: $*"; exit 77; }

[[ -n $KUBECTL && -x $KUBECTL ]] ||
    skip "kubectl not installed (apt-get install kubernetes-client)"
[[ -n $YAMLLINT && -x $YAMLLINT ]] ||
    skip "yamllint not installed (apt-get install yamllint)"
"$PYTHON" -c 'import yaml' 2>/dev/null ||
    skip "PyYAML not importable by $PYTHON (apt-get install python3-yaml)"
[[ -x $daemon ]] || fail "$daemon not built (make)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tpmproxy-k8s.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---- yamllint ------------------------------------------------------------------
mapfile -t yamls < <(find "$k8s" -name '*.yaml' | LC_ALL=C sort)
(( ${#yamls[@]} > 0 )) || fail "no YAML files under $k8s"
"$YAMLLINT" -s -c "$top_srcdir/.yamllint" "${yamls[@]}" "$top_srcdir/.yamllint" ||
    fail "yamllint found problems (above)"
say "yamllint: ${#yamls[@]} files clean"
# A duplicate key and a YAML 1.1 boolean: the lint must refuse them.
printf 'a: 1\na: yes\n' > "$tmp/broken.yaml"
if "$YAMLLINT" -s -c "$top_srcdir/.yamllint" "$tmp/broken.yaml" > "$tmp/lint.out" 2>&1; then
    fail "yamllint accepted a duplicate key and 'yes'"
fi
{ grep -q key-duplicates "$tmp/lint.out" && grep -q truthy "$tmp/lint.out"; } ||
    fail "yamllint missed a duplicate key or 'yes': $(cat "$tmp/lint.out")"
say "yamllint: a broken file is refused (key-duplicates, truthy)"

# ---- every manifest belongs to a kustomization -----------------------------------
# A file no kustomization names would never be rendered, hence never checked.
for f in "${yamls[@]}"; do
    [[ $(basename "$f") == kustomization.yaml ]] && continue
    kz=$(dirname "$f")/kustomization.yaml
    { [[ -f $kz ]] && grep -qE "^[[:space:]]*- $(basename "$f")\$" "$kz"; } ||
        fail "${f#"$k8s"/} is named by no kustomization.yaml beside it"
done

# ---- render --------------------------------------------------------------------
say "$("$KUBECTL" version --client 2>/dev/null | head -n 1)"
renderings=()
mapfile -t dirs < <(find "$k8s" -name kustomization.yaml -printf '%h\n' | LC_ALL=C sort)
for dir in "${dirs[@]}"; do
    rel=${dir#"$k8s"/}
    name=${rel//\//-}
    # Newer kubectl warn on stderr about fields kustomize 2.0 needs.
    "$KUBECTL" kustomize "$dir" > "$tmp/$name.yaml" 2> "$tmp/$name.err" ||
        fail "kubectl kustomize k8s/$rel: $(cat "$tmp/$name.err")"
    [[ -s $tmp/$name.yaml ]] || fail "kubectl kustomize k8s/$rel printed nothing"
    renderings+=("$name=$tmp/$name.yaml")
    say "rendered k8s/$rel: $(grep -c '^kind:' "$tmp/$name.yaml") objects"
done
[[ " ${renderings[*]} " == *" base="* ]] || fail "no k8s/base"
(( ${#renderings[@]} >= 3 )) || fail "expected base, examples and an overlay"

# ---- properties ----------------------------------------------------------------
"$PYTHON" "$top_srcdir/test/k8s/check-manifests.py" --daemon "$daemon" \
    "${renderings[@]}" || fail "the rendered manifests break the rules above"
"$PYTHON" "$top_srcdir/test/k8s/check-manifests.py" --daemon "$daemon" \
    --mutations "${renderings[@]}" > "$tmp/mutations.out" ||
    { cat "$tmp/mutations.out"; fail "a broken manifest went unnoticed (MISSED above)"; }
grep -E '^(MISSED|mutations:)' "$tmp/mutations.out" | sed 's/^/[check-manifests] /'
echo "PASS: check-manifests"
