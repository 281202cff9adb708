#!/usr/bin/env bash
# The test command: installs what is missing, starts real Kafka and PostgreSQL, lints,
# type-checks and runs every test (unit, integration, e2e). Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/local/bootstrap.sh"
# kustomize renders the Kubernetes overlays in the tests; built once from the Go module proxy.
bin="${MAAG_HOME:-$PWD/.maag}/cache/bin"
if [ ! -x "$bin/kustomize" ]; then
  command -v go >/dev/null || { echo "error: Go is needed once to build kustomize (apt-get install -y golang)" >&2; exit 1; }
  GOBIN="$bin" go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1
fi
export PATH="$bin:$PATH"
# promtool evaluates the shipped alert rules in tests/unit/deploy: taken out of Debian's
# prometheus package into the cache (unpacked only: nothing is installed or started).
if [ ! -x "$bin/promtool" ]; then
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null \
    || { echo "error: promtool is needed for the alert tests (Debian's prometheus package)" >&2; exit 1; }
  deb="$(mktemp -d)"
  (cd "$deb" && { apt-get download prometheus >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get download prometheus >/dev/null 2>&1; }; }) \
    || { echo "error: could not download Debian's prometheus package for promtool" >&2; exit 1; }
  dpkg-deb -x "$deb"/prometheus_*.deb "$deb/unpacked"
  install -m 755 "$deb/unpacked/usr/bin/promtool" "$bin/promtool"
  rm -rf "$deb"
fi
# The browser tests drive Debian's chromium (Playwright cannot download its own browsers here).
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
  else
    echo "error: the browser tests need chromium: sudo apt-get install -y chromium" >&2; exit 1
  fi
fi
# Validators generated from the Strimzi and CloudNativePG CRD schemas (npm, pinned by the
# lockfile), for tests/unit/deploy; reinstalled only when the lockfile changes.
crds="tests/support/crds"
cstamp="$crds/node_modules/.maag-installed"
cwant="$(sha256sum "$crds/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$cstamp" 2>/dev/null)" != "$cwant" ]; then
  npm ci --prefix "$crds" --no-audit --no-fund --loglevel=error >/dev/null
  echo "$cwant" > "$cstamp"
fi
ruff check .
ruff format --check .
mypy
set +e
pytest -n "${MAAG_TEST_WORKERS:-2}" --dist loadfile -p no:cacheprovider "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "error: pytest collected no tests; that is a failure, not a pass" >&2
  exit 1
fi
exit "$rc"
