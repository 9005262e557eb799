#!/usr/bin/env bash
# Nightly backup: the database (PostgreSQL dump or SQLite online backup) and the uploaded files.
# Usage: backup.sh /srv/backups   (reads DATABASE_URL, EBSAFETY_VAR_DIR and MEDIA_ROOT from the environment)
# Keeps 30 days. Restore: `pg_restore -d "$DATABASE_URL" --clean db-*.dump` or copy the .sqlite3 back, and
# unpack media-*.tar.gz into MEDIA_ROOT.
set -euo pipefail
dest=${1:?usage: backup.sh DEST_DIR}
stamp=$(date +%Y%m%d-%H%M%S)
var_dir=${EBSAFETY_VAR_DIR:-$(cd "$(dirname "$0")/.." && pwd)/var}
media=${MEDIA_ROOT:-$var_dir/media}
mkdir -p "$dest"
if [[ -n "${DATABASE_URL:-}" ]]; then
  pg_dump --format=custom --no-owner --file "$dest/db-$stamp.dump" "$DATABASE_URL"
else
  sqlite3 "${SQLITE_PATH:-$var_dir/ebsafety.sqlite3}" ".backup '$dest/db-$stamp.sqlite3'"
fi
if [[ -d "$media" ]]; then
  tar -C "$media" -czf "$dest/media-$stamp.tar.gz" .
fi
find "$dest" -maxdepth 1 -type f \( -name 'db-*' -o -name 'media-*' \) -mtime +30 -delete
echo "backup written to $dest ($stamp)"
