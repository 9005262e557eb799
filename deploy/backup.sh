#!/usr/bin/env bash
# Nightly backup: the database (PostgreSQL dump or SQLite online backup) and the uploaded files.
# Usage: backup.sh DEST_DIR   (reads DATABASE_URL, SQLITE_PATH, EBSAFETY_VAR_DIR and MEDIA_ROOT from the
# environment, i.e. `set -a; . /srv/ebsafety/.env; set +a` first). Run it as the service user; DEST_DIR must
# be writable by that user. Keeps KEEP_DAYS (default 30) days. Needs pg_dump (postgresql-client, same major
# version as the server or newer) for PostgreSQL and the sqlite3 CLI (Debian package sqlite3) for SQLite.
#
# Restore (services stopped; see README, 生产部署):
#   PostgreSQL: pg_restore --clean --if-exists --no-owner --exit-on-error --single-transaction \
#                 -d "$DATABASE_URL" DEST_DIR/db-YYYYmmdd-HHMMSS.dump
#   SQLite:     rm -f "$SQLITE_PATH"-wal "$SQLITE_PATH"-shm
#               install -o ebsafety -g ebsafety -m 600 DEST_DIR/db-YYYYmmdd-HHMMSS.sqlite3 "$SQLITE_PATH"
#   Files:      tar -C "$MEDIA_ROOT" -xzf DEST_DIR/media-YYYYmmdd-HHMMSS.tar.gz   (as the service user)
set -euo pipefail
umask 077   # dumps and uploads hold personal data
dest=${1:?usage: backup.sh DEST_DIR}
keep_days=${KEEP_DAYS:-30}
stamp=$(date +%Y%m%d-%H%M%S)
var_dir=${EBSAFETY_VAR_DIR:-$(cd "$(dirname "$0")/.." && pwd)/var}
media=${MEDIA_ROOT:-$var_dir/media}
need() { command -v "$1" >/dev/null || { echo "backup.sh: $1 not found (apt-get install $2)" >&2; exit 2; }; }
mkdir -p "$dest"
# Each file is written under a temporary name and renamed once complete and readable, so a failed run
# never leaves something that looks like a good backup.
if [[ -n "${DATABASE_URL:-}" ]]; then
  need pg_dump postgresql-client
  out="$dest/db-$stamp.dump"
  pg_dump --format=custom --no-owner --file "$out.partial" "$DATABASE_URL"
  pg_restore --list "$out.partial" >/dev/null
else
  need sqlite3 sqlite3
  out="$dest/db-$stamp.sqlite3"
  db=${SQLITE_PATH:-$var_dir/ebsafety.sqlite3}
  [[ -f $db ]] || { echo "backup.sh: no SQLite database at $db" >&2; exit 2; }
  sqlite3 "$db" ".backup '$out.partial'"
  [[ $(sqlite3 "$out.partial" 'PRAGMA quick_check;') == ok ]] || { echo "backup.sh: $out.partial fails quick_check" >&2; exit 1; }
fi
mv "$out.partial" "$out"
if [[ -d "$media" ]]; then
  tar -C "$media" -czf "$dest/media-$stamp.tar.gz.partial" .
  mv "$dest/media-$stamp.tar.gz.partial" "$dest/media-$stamp.tar.gz"
fi
find "$dest" -maxdepth 1 -type f \( -name 'db-*' -o -name 'media-*' \) -mtime +"$keep_days" -delete
echo "backup written to $dest ($stamp): $(basename "$out")$([[ -d "$media" ]] && echo " media-$stamp.tar.gz")"
