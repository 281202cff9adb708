# Sourced by the README's two commands: a virtualenv in .venv with the project and its dev
# extras installed from the lock files (reinstalled only when they or pyproject.toml change),
# then the local infrastructure (Kafka, PostgreSQL, Keycloak) unless KAFKA_BOOTSTRAP_SERVERS,
# MAAG_POSTGRES_URL and MAAG_OIDC_ISSUER all point elsewhere.
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
py="${PYTHON:-python3}"
"$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  || { echo "error: Python 3.11+ is needed as \`${py}\` (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv \
    || { echo "error: could not create .venv; on Debian: apt-get install -y python3-venv" >&2; exit 1; }
fi
# requirements-dev.lock holds requirements.lock's pins (what the image installs) and the dev
# extra's, each with its hashes: the tests run the versions the image runs. A lock older than
# pyproject.toml stops here, naming the command that refreshes it (maag/ops/lock.py).
stamp=".venv/.maag-installed"
want="$(cat pyproject.toml requirements.lock requirements-dev.lock | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$py" -m maag.ops.lock --check || exit 1
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q --require-hashes -r requirements-dev.lock
  .venv/bin/python -m pip install -q --no-deps -e .
  echo "$want" > "$stamp"
fi
export PATH="$repo/.venv/bin:$PATH"
# The GOV.UK Design System's styles, scripts and fonts for the web app, from npm (pinned by
# services/web/frontend/package-lock.json; reinstalled only when it changes).
front="services/web/frontend"
fstamp="$front/node_modules/.maag-installed"
fwant="$(sha256sum "$front/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$fstamp" 2>/dev/null)" != "$fwant" ]; then
  command -v npm >/dev/null \
    || { echo "error: npm is needed once for the web app's GOV.UK Frontend (apt-get install -y nodejs npm)" >&2; exit 1; }
  npm ci --prefix "$front" --no-audit --no-fund --loglevel=error >/dev/null
  echo "$fwant" > "$fstamp"
fi
# The local keys (`maag secrets`), made once and kept in .maag/ (`maag up` adds a key a
# later release needs, e.g. MAAG_CHILD_INDEX_KEYS, and keeps the others).
secrets_file="${MAAG_HOME:-$repo/.maag}/secrets.env"
if [ ! -f "$secrets_file" ]; then
  mkdir -p "$(dirname "$secrets_file")"
  (umask 077 && maag secrets > "$secrets_file")
fi
set -a; source "$secrets_file"; set +a
if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" ] || [ -z "${MAAG_POSTGRES_URL:-}" ] \
  || [ -z "${MAAG_OIDC_ISSUER:-}" ]; then
  infra_out="$(deploy/local/infra.sh up)" || exit 1
  echo "$infra_out"
  eval "$(grep '^export ' <<<"$infra_out")"
fi
