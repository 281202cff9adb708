#!/usr/bin/env bash
# Start, stop or inspect the local infrastructure: a single-node KRaft Kafka fetched from
# Maven Central (needs Java 17+ and Maven) and PostgreSQL from Debian's packages.
# Standard-library Python only, so it runs before any virtualenv exists.
#   deploy/local/infra.sh up|down|status
# State, cache and logs: $MAAG_HOME (default: <repo>/.maag); logs in $MAAG_HOME/logs.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
py="${PYTHON:-python3}"
command -v "$py" >/dev/null || { echo "error: python3 (3.11+) is needed on PATH" >&2; exit 1; }
PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}" exec "$py" -m maag.ops.infra "$@"
