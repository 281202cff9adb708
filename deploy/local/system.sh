#!/usr/bin/env bash
# The run command: installs what is missing, starts local Kafka and PostgreSQL, creates the
# topics and runs every service in the foreground (Ctrl-C stops the services; the
# infrastructure keeps running until `deploy/local/infra.sh down`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
exec maag up "$@"
