#!/usr/bin/env bash
# The test command: installs what is missing, starts real Kafka and PostgreSQL, lints,
# type-checks and runs every test (unit, integration, e2e). Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../deploy/local/bootstrap.sh"
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
