#!/usr/bin/env bash
# What the machine itself must have: Python 3.11+ with venv, a JDK for Kafka, a JDK 21+ for
# Elasticsearch 9, and Maven to fetch both servers. Installs what is missing from Debian's
# packages when it can (root with apt-get); otherwise says exactly what to install.
set -euo pipefail

missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
# Validates docker-compose.yml in the tests (no Docker engine needed for `config`).
if ! command -v docker-compose >/dev/null 2>&1 && ! docker compose version >/dev/null 2>&1; then
  missing+=(docker-compose)
fi

if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "please install: ${missing[*]}" >&2
    exit 1
  fi
fi

# Elasticsearch 9 needs Java 21 or newer (infra/servers.py picks the newest JDK it finds).
if [ -z "${WIRESTREAM_INFRA_ES_JAVA_HOME:-}${ES_JAVA_HOME:-}" ]; then
  found=""
  for home in /usr/lib/jvm/*; do
    [ -f "$home/release" ] || continue
    major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
    if [ -n "$major" ] && [ "$major" -ge 21 ] && [ -x "$home/bin/java" ]; then found=$home; fi
  done
  if [ -z "$found" ]; then
    echo "Elasticsearch 9 needs a JDK 21+: install one under /usr/lib/jvm or set WIRESTREAM_INFRA_ES_JAVA_HOME" >&2
    exit 1
  fi
fi
