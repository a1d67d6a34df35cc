#!/usr/bin/env bash
# Run a command with ETJANST_TEST_DATABASE_URL pointing at a fresh PostgreSQL database
# that is created first and dropped afterwards, whatever the command's outcome.
set -euo pipefail
admin_url=${ETJANST_PG_ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
name="etjanst_test_$(date +%s)_$$"
base=${admin_url%/*}
psql "$admin_url" -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE $name"
cleanup() { psql "$admin_url" -q -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" || true; }
trap cleanup EXIT
ETJANST_TEST_DATABASE_URL="$base/$name" "$@"
