#!/usr/bin/env bash
# Backup and restore, tested: the commands docs/deploy.md gives, run on throwaway data.
#
# PostgreSQL: a new database is migrated and seeded with the demo community, dumped with
# pg_dump -Fc, restored with pg_restore into a second new database, and every table's row count
# and content checksum compared. SQLite: the same data in a file, copied with sqlite3's .backup
# while it is open, compared the same way. Both databases and all files are removed afterwards.
#
#   bench/backup_restore.sh                 # PostgreSQL at $ADMIN_URL (default below)
#   ADMIN_URL=postgresql://postgres@db:5432/postgres bench/backup_restore.sh
set -euo pipefail

cd "$(dirname "$0")/.."
ADMIN_URL="${ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
FLASK="${FLASK:-.venv/bin/flask}"
run_id="$$_$(date +%s)"
source_db="cml_backup_source_${run_id}"
restored_db="cml_backup_restored_${run_id}"
work="$(mktemp -d)"
# The admin URL with another database name in place of its own.
database_url() { printf '%s/%s' "${ADMIN_URL%/*}" "$1"; }

cleanup() {
    psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$source_db\" WITH (FORCE)" \
        -c "DROP DATABASE IF EXISTS \"$restored_db\" WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

app() {  # flask against DATABASE_URL=$1, in a throwaway instance folder
    local url="$1"
    shift
    if ! CML_ENV=development CML_INSTANCE_PATH="$work/instance" DATABASE_URL="$url" \
        "$FLASK" --app cml_earth "$@" >"$work/flask.log" 2>&1; then
        cat "$work/flask.log" >&2
        return 1
    fi
}

# One line per table: name, rows, md5 of all its rows in a fixed order.
pg_fingerprint() {
    local url="$1" table
    for table in $(psql -At "$url" -c "SELECT tablename FROM pg_tables
                                        WHERE schemaname = 'public' ORDER BY tablename"); do
        psql -At -F ' ' "$url" -c "SELECT '$table', count(*),
            md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"$table\" t"
    done
}

sqlite_fingerprint() {
    local file="$1" table
    for table in $(sqlite3 "$file" "SELECT name FROM sqlite_master WHERE type = 'table'
                                    AND name NOT LIKE 'sqlite_%' ORDER BY name"); do
        printf '%s %s\n' "$table" "$(sqlite3 "$file" "SELECT count(*) FROM \"$table\"")"
    done
}

compare() {  # label, what was compared, fingerprint before, fingerprint after
    local tables rows
    tables=$(wc -l <<<"$3")
    rows=$(awk '{ sum += $2 } END { print sum }' <<<"$3")
    if [[ "$3" == "$4" ]]; then
        echo "$1: $tables tables, $rows rows: every table's $2 identical"
    else
        echo "$1: MISMATCH"
        diff <(echo "$3") <(echo "$4") || true
        return 1
    fi
}

echo "== PostgreSQL ($(pg_dump --version))"
psql -q "$ADMIN_URL" -c "CREATE DATABASE \"$source_db\"" -c "CREATE DATABASE \"$restored_db\""
app "$(database_url "$source_db")" db upgrade
app "$(database_url "$source_db")" demo seed
started=$(date +%s.%N)
pg_dump -Fc --no-owner --file "$work/cml_earth.dump" "$(database_url "$source_db")"
dumped=$(date +%s.%N)
pg_restore --no-owner --exit-on-error --dbname "$(database_url "$restored_db")" \
    "$work/cml_earth.dump"
restored=$(date +%s.%N)
printf 'dump %s bytes in %.2f s; restore in %.2f s\n' "$(stat -c %s "$work/cml_earth.dump")" \
    "$(echo "$dumped - $started" | bc)" "$(echo "$restored - $dumped" | bc)"
before=$(pg_fingerprint "$(database_url "$source_db")")
after=$(pg_fingerprint "$(database_url "$restored_db")")
echo "$after" | awk '$2 > 0 { printf "  %-28s %6d rows\n", $1, $2 }'
compare "pg_dump -Fc | pg_restore" "row count and content checksum" "$before" "$after"
echo "alembic revision after restore: $(psql -At "$(database_url "$restored_db")" \
    -c 'SELECT version_num FROM alembic_version')"

echo "== SQLite ($(sqlite3 --version | cut -d' ' -f1))"
source_file="$work/instance/cml_earth.sqlite3"
app "sqlite:///$source_file" db upgrade
app "sqlite:///$source_file" demo seed
sqlite3 "$source_file" ".backup '$work/backup.sqlite3'"
echo "integrity_check of the copy: $(sqlite3 "$work/backup.sqlite3" 'PRAGMA integrity_check')"
compare "sqlite3 .backup" "row count" "$(sqlite_fingerprint "$source_file")" \
    "$(sqlite_fingerprint "$work/backup.sqlite3")"
