#!/usr/bin/env bash
# Installs Debian's PostgreSQL server when it is missing. The tests and the state benchmark start
# their own throw-away server from it (scripts/postgres-server.ts); nothing else is configured.
set -euo pipefail
if compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "The PostgreSQL server is not installed; install it with: sudo apt-get install -y postgresql" >&2
  exit 1
fi
echo "Installing PostgreSQL (apt-get install postgresql)…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
