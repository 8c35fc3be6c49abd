#!/usr/bin/env bash
# The demo database (README "Run it", bench/large-burst.sh): the Mastodon tables the server reads, three local
# accounts with users and tokens (alice=1, bob=2, carol=3; tokens demo-token-alice, demo-token-bob,
# demo-token-carol). Safe to run again. Needs the PostgreSQL of scripts/services.sh (or DB/PG_PORT).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DB=${DB:-aot_streaming_demo}
PG_PORT=${PG_PORT:-${AOT_PG_PORT:-5440}}

pg() { PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }
if [ "$(pg -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
    pg -d postgres -c "CREATE DATABASE $DB"
fi
pg -d "$DB" -f tests/AotStreaming.Testing/Database/mastodon-schema.sql >/dev/null
pg -d "$DB" >/dev/null <<'SQL'
INSERT INTO accounts (id, username, domain, display_name) VALUES
  (1, 'alice', NULL, 'Alice'), (2, 'bob', NULL, 'Bob'), (3, 'carol', NULL, 'Carol')
  ON CONFLICT (id) DO NOTHING;
INSERT INTO users (id, email, account_id) VALUES
  (1, 'alice@demo.invalid', 1), (2, 'bob@demo.invalid', 2), (3, 'carol@demo.invalid', 3)
  ON CONFLICT (id) DO NOTHING;
INSERT INTO oauth_access_tokens (token, scopes, resource_owner_id) VALUES
  ('demo-token-alice', 'read', 1), ('demo-token-bob', 'read write follow', 2), ('demo-token-carol', 'read:statuses read:notifications', 3)
  ON CONFLICT (token) DO UPDATE SET scopes = EXCLUDED.scopes, resource_owner_id = EXCLUDED.resource_owner_id, revoked_at = NULL;
SQL
echo "demo: database $DB ready (alice=1, bob=2, carol=3; tokens demo-token-alice, demo-token-bob, demo-token-carol)"
