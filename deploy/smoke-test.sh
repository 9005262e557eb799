#!/usr/bin/env bash
# Production smoke test: walks through README's 生产部署 recipe in a throw-away sandbox on this machine and
# checks the result. Run as root on Debian 12:  bash deploy/smoke-test.sh [--app DIR] [--keep] [--timeout S]
#
#   * installs those of the recipe's Debian packages it needs (not cron) and curl/openssl when missing,
#     creates the system user `ebsafety` if missing (it is kept: it may be your real one);
#   * builds a fresh clone of this checkout's HEAD like step 3 (`make venv assets`, compileall), or, with
#     --app DIR, uses an installed app directory as it is (its code, .venv and deploy/ files);
#   * starts its own PostgreSQL server, gunicorn and two workers with the ExecStart, User and EnvironmentFile
#     of deploy/*.service (no systemd needed), and nginx with deploy/nginx.conf and a self-signed
#     certificate -- everything on 127.0.0.1 only, on free ports from 54340 / 8100 / 8080 / 8443 / 8101;
#   * checks: `check --deploy` is clean; HTTP redirects to HTTPS; HSTS; the login page and its CSS (WhiteNoise,
#     hashed names, long cache); log-in over HTTPS (secure cookies, CSRF, trusted origins); a CLI import;
#     a web upload and a background export run by the workers; uploads and exports are not reachable under
#     /media/ and exports only by their owner; deploy/backup.sh run as cron runs it, restored with README's
#     command into a second database (row counts compared); the SQLite path (`ebsafety serve`, backup, restore);
#   * stops everything it started and deletes the sandbox (unless --keep). It never touches /etc/nginx,
#     systemd, cron, /srv or any existing database. Bounded: --timeout seconds in all (default 900).
# Not part of CI (.ci/run does not call it). Exit status 0 when every check passed.
set -Eeuo pipefail

LIMIT=${SMOKE_TIMEOUT:-900}
APP_ARG=""
KEEP=0
while (($#)); do
  case $1 in
    --app) APP_ARG=$(cd "${2:?--app DIR}" && pwd); shift 2 ;;
    --keep) KEEP=1; shift ;;
    --timeout) LIMIT=${2:?--timeout SECONDS}; shift 2 ;;
    -h | --help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "smoke-test: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
REPO=$(cd "$(dirname "$SCRIPT")/.." && pwd)
# The whole run is bounded: timeout(1) signals the script (and its foreground children); the EXIT trap cleans up.
if [[ -z ${SMOKE_UNDER_TIMEOUT:-} ]]; then
  export SMOKE_UNDER_TIMEOUT=1
  args=(--timeout "$LIMIT")
  [[ -n $APP_ARG ]] && args+=(--app "$APP_ARG")
  ((KEEP)) && args+=(--keep)
  # timeout(1) runs in a process group of its own, which Ctrl-C does not reach: pass INT and TERM on to it.
  timeout --kill-after=60 "$LIMIT" bash "$SCRIPT" "${args[@]}" &
  tpid=$!
  trap 'kill -INT "$tpid" 2>/dev/null' INT
  trap 'kill -TERM "$tpid" 2>/dev/null' TERM
  rc=0
  wait "$tpid" || rc=$?
  while kill -0 "$tpid" 2>/dev/null; do rc=0; wait "$tpid" || rc=$?; done
  ((rc == 124)) && echo "smoke-test: FAILED, time limit of ${LIMIT}s reached" >&2
  exit $rc
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "smoke-test: run as root (it installs packages and runs processes as the ebsafety and postgres users)" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
SVC_USER=ebsafety
DEMO_PASSWORD=Ebsafety-2026   # `ebsafety demo` accounts
SYS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin   # systemd's default PATH
T0=$(date +%s.%N)

# ------------------------------------------------------------------------------------------------ helpers
RESULTS=()
TIMINGS=()
FAILED=0
banner() { printf '\n=== %s\n' "$*"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
timing() { TIMINGS+=("$(printf '%-50s %7ss' "$1" "$2")"); }
ok() { RESULTS+=("PASS  $*"); echo "  ok    $*"; }
bad() { RESULTS+=("FAIL  $*"); echo "  FAIL  $*" >&2; FAILED=1; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
die() { echo "smoke-test: $*" >&2; exit 1; }
free_port() {  # first free TCP port on 127.0.0.1 from $1 on
  python3 - "$1" <<'EOF'
import socket, sys
start = int(sys.argv[1])
for port in range(start, start + 100):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
else:
    sys.exit(f"no free port in {start}..{start + 99}")
EOF
}

# ------------------------------------------------------------------------------------------------ sandbox
W=$(mktemp -d /tmp/ebsafety-smoke.XXXXXX)
chmod 755 "$W"   # the service user and nginx's www-data must traverse it
SRV=$W/srv       # stands for /srv/ebsafety
mkdir -p "$SRV" "$W/logs" "$W/tls" "$W/nginx"
declare -A SVC_PIDS=()
PG_DATA=$W/pg/data
PG_BIN=""

stop_svc() {  # name [signal] [seconds]: stop a service's process group, as systemd stops the unit
  local name=$1 sig=${2:-TERM} wait_s=${3:-30} pid=${SVC_PIDS[$1]:-} i
  [[ -n $pid ]] || return 0
  kill -s "$sig" -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < wait_s * 10; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || { unset "SVC_PIDS[$name]"; return 0; }
    sleep 0.1
  done
  echo "  $name did not stop within ${wait_s}s after SIG$sig; killing it" >&2
  kill -s KILL -- "-$pid" 2>/dev/null || true
  unset "SVC_PIDS[$name]"
  return 1
}
cleanup() {
  local rc=$? t
  trap - EXIT
  trap '' INT TERM   # finish cleaning up even when the time limit strikes now (timeout's KILL follows in 60 s)
  set +e
  banner "cleanup"
  t=$(now)
  for name in "${!SVC_PIDS[@]}"; do stop_svc "$name" TERM 20; done
  if [[ -f $W/nginx/nginx.pid ]]; then
    kill -QUIT "$(cat "$W/nginx/nginx.pid")" 2>/dev/null
    for _ in $(seq 50); do [[ -f $W/nginx/nginx.pid ]] || break; sleep 0.1; done
  fi
  if [[ -n $PG_BIN && -f $PG_DATA/postmaster.pid ]]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
  fi
  if ((KEEP)); then
    echo "sandbox kept in $W (processes stopped); remove it with: rm -rf $W"
  else
    rm -rf "$W"
    echo "sandbox $W removed ($(secs "$t")s)"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Environment of a unit's process: EnvironmentFile= parsed the way systemd does (no shell expansion).
unit_env() {
  python3 - "$1" <<'EOF'
import sys
for raw in open(sys.argv[1], encoding="utf-8"):
    line = raw.strip()
    if not line or line[0] in "#;" or "=" not in line:
        continue
    key, value = line.split("=", 1)
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    print(f"{key.strip()}={value}")
EOF
}
# `Key=` of a unit file, continuation lines joined, /srv/ebsafety paths mapped into the sandbox.
unit_value() {
  python3 - "$1" "$2" "$APP" "$SRV" <<'EOF'
import sys
path, key, app, srv = sys.argv[1:]
text = open(path, encoding="utf-8").read().replace("\\\n", " ")
for line in text.splitlines():
    if line.startswith(key + "="):
        print(line.split("=", 1)[1].replace("/srv/ebsafety/app", app).replace("/srv/ebsafety", srv).strip())
        break
else:
    sys.exit(f"{path}: no {key}=")
EOF
}
SVC_HOME=""
start_svc() {  # name workdir envfile command...: start like systemd (User=, WorkingDirectory=, EnvironmentFile=)
  local name=$1 dir=$2 envfile=$3
  shift 3
  local envs
  mapfile -t envs < <(unit_env "$envfile")
  (
    cd "$dir"
    exec setsid runuser -u "$SVC_USER" -- env -i PATH="$SYS_PATH" HOME="$SVC_HOME" USER="$SVC_USER" \
      LOGNAME="$SVC_USER" LANG=C.UTF-8 "${envs[@]}" "$@" >>"$W/logs/$name.log" 2>&1 </dev/null
  ) &
  SVC_PIDS[$name]=$!
}
# README's `ebs`: a management command as the service user with the .env loaded by sh.
ebs_with() {  # envfile command...
  local envfile=$1
  shift
  runuser -u "$SVC_USER" -- env -i PATH="$SYS_PATH" HOME="$SVC_HOME" LANG=C.UTF-8 env -C "$APP" \
    sh -c 'set -a; . "$0"; set +a; exec .venv/bin/ebsafety "$@"' "$envfile" "$@"
}
wait_http() {  # url [seconds]: until anything answers
  local url=$1 limit=${2:-60} i
  for ((i = 0; i < limit * 10; i++)); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'X-Forwarded-Proto: https' "$url") != 000 ]] && return 0
    sleep 0.1
  done
  return 1
}
set_env() {  # file key value: replace NAME=… (or append it)
  python3 - "$@" <<'EOF'
import re, sys
path, key, value = sys.argv[1:]
text = open(path, encoding="utf-8").read()
text, n = re.subn(rf"^#? ?{re.escape(key)}=.*$", lambda m: f"{key}={value}", text, count=1, flags=re.M)
if not n:
    text += f"{key}={value}\n"
open(path, "w", encoding="utf-8").write(text)
EOF
}
del_env() { sed -i "/^$2=/d" "$1"; }

# Browser-like HTTPS client: cookie jar per user, Origin and Referer on POSTs, our self-signed CA trusted.
CURL=(curl -sS --max-time 30 --cacert "$W/tls/fullchain.pem")
csrf_of() { awk '$6 == "csrftoken" { print $7 }' "$1"; }
login() {  # base jar user: prints the HTTP status of the POST
  local base=$1 jar=$2 user=$3 extra=()
  [[ $base == http://* ]] && extra=(-H 'X-Forwarded-Proto: https')
  "${CURL[@]}" "${extra[@]}" -c "$jar" -b "$jar" -o /dev/null "$base/login/"
  "${CURL[@]}" "${extra[@]}" -c "$jar" -b "$jar" -o /dev/null -D "$jar.headers" -w '%{http_code}' \
    -H "Origin: $ORIGIN" -e "$ORIGIN/login/" --data-urlencode "csrfmiddlewaretoken=$(csrf_of "$jar")" \
    --data-urlencode "username=$user" --data-urlencode "password=$DEMO_PASSWORD" --data-urlencode next=/ \
    "$base/login/"
}
job_id() { grep -oE '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' <<<"$1" | head -n 1; }
wait_job() {  # base jar id [seconds] -> prints the final status.json
  local base=$1 jar=$2 id=$3 limit=${4:-90} i body status extra=()
  [[ $base == http://* ]] && extra=(-H 'X-Forwarded-Proto: https')
  for ((i = 0; i < limit * 4; i++)); do
    body=$("${CURL[@]}" "${extra[@]}" -b "$jar" "$base/core/jobs/$id/status.json" || true)
    status=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["status"])' "$body" 2>/dev/null || true)
    if [[ $status == succeeded || $status == failed ]]; then
      printf '%s\n' "$body"
      return 0
    fi
    sleep 0.25
  done
  printf '%s\n' "$body"
  return 1
}
json_get() { python3 -c 'import json, sys; d = json.loads(sys.argv[1]); [d := d[k] for k in sys.argv[2:]]; print(d)' "$@"; }

# ------------------------------------------------------------------------------------------------ 1. packages
banner "1. system packages (only the missing ones)"
t=$(now)
wanted=(python3 python3-venv make git postgresql nginx sqlite3 openssl curl ca-certificates)
command -v node >/dev/null && command -v npm >/dev/null || wanted+=(nodejs npm)
missing=()
for p in "${wanted[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt-get update -o Acquire::Retries=3 >"$W/logs/apt.log" 2>&1 || { cat "$W/logs/apt.log"; die "apt-get update failed"; }
  apt-get install -y --no-install-recommends -o Acquire::Retries=3 "${missing[@]}" >>"$W/logs/apt.log" 2>&1 \
    || { tail -n 30 "$W/logs/apt.log"; die "apt-get install failed"; }
else
  echo "all present"
fi
timing "install missing packages" "$(secs "$t")"
[[ -r /etc/debian_version ]] && echo "Debian $(cat /etc/debian_version), nginx $(nginx -v 2>&1 | cut -d/ -f2)"
PG_BIN=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin | sort -V | tail -n 1)
[[ -x $PG_BIN/initdb ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"

# ------------------------------------------------------------------------------------------------ 2. user
banner "2. system user $SVC_USER"
if id "$SVC_USER" >/dev/null 2>&1; then
  echo "exists: $(getent passwd "$SVC_USER")"
else
  useradd --system --home-dir /srv/ebsafety --shell /usr/sbin/nologin "$SVC_USER"
  echo "created: $(getent passwd "$SVC_USER")"
fi
SVC_HOME=$(getent passwd "$SVC_USER" | cut -d: -f6)

# ------------------------------------------------------------------------------------------------ 3. code
banner "3. code and dependencies"
if [[ -n $APP_ARG ]]; then
  APP=$APP_ARG
  echo "testing the installed app in $APP ($(git -C "$APP" log -1 --format='%h %s' 2>/dev/null || echo 'not a git checkout'))"
  [[ -x $APP/.venv/bin/ebsafety ]] || die "$APP/.venv/bin/ebsafety missing: build it first (README step 3)"
else
  APP=$SRV/app
  t=$(now)
  git -c safe.directory="$REPO" clone --quiet --no-hardlinks "$REPO" "$APP"
  echo "cloned $(git -C "$APP" log -1 --format='%h %s') from $REPO"
  # README step 3, as root; Debian's python3 so that the service user can run the venv's interpreter.
  (cd "$APP" && make venv assets UV_PYTHON=/usr/bin/python3) >"$W/logs/build.log" 2>&1 \
    || { tail -n 40 "$W/logs/build.log"; die "make venv assets failed (log above)"; }
  "$APP/.venv/bin/python" -m compileall -q -j0 "$APP/src" "$APP/.venv/lib" >/dev/null \
    || die "compileall failed"
  timing "build: clone, make venv assets, compileall" "$(secs "$t")"
fi
runuser -u "$SVC_USER" -- "$APP/.venv/bin/python" -c 'import django, gunicorn' \
  || die "$SVC_USER cannot run $APP/.venv/bin/python (built from an interpreter it cannot read?)"
[[ -n $APP_ARG ]] || check "make venv assets left no app/var (no stray SQLite database or secret key)" test ! -e "$APP/var"

# ------------------------------------------------------------------------------------------------ 4. PostgreSQL
banner "4. PostgreSQL (own throw-away server on 127.0.0.1)"
t=$(now)
PG_PORT=$(free_port "${SMOKE_PG_PORT:-54340}")
mkdir -p "$W/pg/socket"
chown -R postgres:postgres "$W/pg"
chmod 700 "$W/pg"
runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
  --auth-local=peer --auth-host=scram-sha-256 >"$W/logs/initdb.log" 2>&1 || { cat "$W/logs/initdb.log"; die "initdb failed"; }
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$W/pg/server.log" -w -t 60 -o \
  "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $W/pg/socket" start >/dev/null || { cat "$W/pg/server.log"; die "PostgreSQL did not start"; }
psql_admin() { runuser -u postgres -- "$PG_BIN/psql" -h "$W/pg/socket" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
DB_PASSWORD=$(openssl rand -hex 16)   # README step 2
psql_admin -d postgres -c "CREATE ROLE ebsafety LOGIN PASSWORD '$DB_PASSWORD'"
psql_admin -d postgres -c "GRANT SET ON PARAMETER session_replication_role TO ebsafety"   # README step 2
psql_admin -d postgres -c "CREATE DATABASE ebsafety OWNER ebsafety" -c "CREATE DATABASE ebsafety_restore OWNER ebsafety"
DB_URL="postgres://ebsafety:$DB_PASSWORD@127.0.0.1:$PG_PORT/ebsafety"
RESTORE_URL="postgres://ebsafety:$DB_PASSWORD@127.0.0.1:$PG_PORT/ebsafety_restore"
echo "PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}') on 127.0.0.1:$PG_PORT"
timing "PostgreSQL initdb and start" "$(secs "$t")"

# ------------------------------------------------------------------------------------------------ 5. .env, var
banner "5. .env and data directories"
WEB_PORT=$(free_port "${SMOKE_WEB_PORT:-8100}")
HTTP_PORT=$(free_port "${SMOKE_HTTP_PORT:-8080}")
HTTPS_PORT=$(free_port "${SMOKE_HTTPS_PORT:-8443}")
[[ $HTTPS_PORT != "$HTTP_PORT" ]] || HTTPS_PORT=$(free_port $((HTTP_PORT + 1)))
SERVE_PORT=$(free_port "${SMOKE_SERVE_PORT:-8101}")
for p in "$HTTP_PORT" "$HTTPS_PORT"; do [[ $p != "$SERVE_PORT" ]] || SERVE_PORT=$(free_port $((p + 1))); done
[[ $SERVE_PORT != "$WEB_PORT" ]] || SERVE_PORT=$(free_port $((WEB_PORT + 2)))
BASE=https://127.0.0.1:$HTTPS_PORT
ORIGIN=$BASE
ENV_FILE=$SRV/.env
install -o root -g "$SVC_USER" -m 640 "$APP/.env.example" "$ENV_FILE"
set_env "$ENV_FILE" SECRET_KEY "$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
set_env "$ENV_FILE" ALLOWED_HOSTS 127.0.0.1
set_env "$ENV_FILE" CSRF_TRUSTED_ORIGINS "$ORIGIN"
set_env "$ENV_FILE" DATABASE_URL "$DB_URL"
set_env "$ENV_FILE" EBSAFETY_VAR_DIR "$SRV/var"
set_env "$ENV_FILE" MEDIA_ROOT "$SRV/var/media"
set_env "$ENV_FILE" STATIC_ROOT "$SRV/var/static"
set_env "$ENV_FILE" EXPORT_INLINE_MAX_ROWS 100   # so that exporting the demo town's units is a background job
set_env "$ENV_FILE" EMAIL_BACKEND django.core.mail.backends.console.EmailBackend
install -d -o "$SVC_USER" -g "$SVC_USER" -m 750 "$SRV/var"
install -d -o "$SVC_USER" -g "$SVC_USER" -m 700 "$W/backups"
echo "gunicorn 127.0.0.1:$WEB_PORT, nginx 127.0.0.1:$HTTP_PORT/$HTTPS_PORT, ebsafety serve 127.0.0.1:$SERVE_PORT"

# ------------------------------------------------------------------------------------------------ 6. migrate
banner "6. migrate, collectstatic, check --deploy, demo data (as $SVC_USER)"
t=$(now)
ebs_with "$ENV_FILE" migrate --noinput -v 0 || die "migrate failed"
timing "migrate (PostgreSQL, empty database)" "$(secs "$t")"
t=$(now)
ebs_with "$ENV_FILE" collectstatic --noinput -v 0 || die "collectstatic failed"
timing "collectstatic" "$(secs "$t")"
out=$(ebs_with "$ENV_FILE" check --deploy --fail-level WARNING 2>&1) && rc=0 || rc=$?
echo "$out"
check "check --deploy with the production .env: no issues" test "$rc" -eq 0 -a -n "$(grep -F 'no issues' <<<"$out")"
placeholder_env=$W/placeholder.env
install -o root -g "$SVC_USER" -m 640 "$ENV_FILE" "$placeholder_env"
set_env "$placeholder_env" SECRET_KEY "$(grep -E '^SECRET_KEY=' "$APP/.env.example" | cut -d= -f2-)"
rejects_placeholder() { ! ebs_with "$placeholder_env" check --deploy --fail-level WARNING >/dev/null 2>&1; }
check "check --deploy rejects .env.example's placeholder SECRET_KEY" rejects_placeholder
t=$(now)
ebs_with "$ENV_FILE" demo --if-empty >"$W/logs/demo.log" 2>&1 || { cat "$W/logs/demo.log"; die "demo failed"; }
timing "demo town" "$(secs "$t")"

# ------------------------------------------------------------------------------------------------ 7. services
banner "7. gunicorn and two workers as deploy/*.service start them"
WEB_UNIT=$APP/deploy/ebsafety-web.service
WORKER_UNIT=$APP/deploy/ebsafety-worker.service
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$W/units"
  for u in "$WEB_UNIT" "$WORKER_UNIT"; do
    sed -e "s#/srv/ebsafety/app#$APP#g" -e "s#/srv/ebsafety#$SRV#g" "$u" >"$W/units/$(basename "$u" .service)$([[ $u == "$WORKER_UNIT" ]] && echo @).service"
  done
  out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$W"/units/*.service 2>&1 || true)
  [[ -z $out ]] || echo "$out"
  check "systemd-analyze verify deploy/*.service" test -z "$out"
fi
for u in "$WEB_UNIT" "$WORKER_UNIT"; do
  check "$(basename "$u"): User=$SVC_USER, EnvironmentFile=/srv/ebsafety/.env" \
    test "$(unit_value "$u" User)" = "$SVC_USER" -a "$(unit_value "$u" EnvironmentFile)" = "$ENV_FILE"
done
read -r -a web_cmd <<<"$(unit_value "$WEB_UNIT" ExecStart | sed "s/127\.0\.0\.1:8000/127.0.0.1:$WEB_PORT/")"
read -r -a worker_cmd <<<"$(unit_value "$WORKER_UNIT" ExecStart)"
grep -q -- "127.0.0.1:$WEB_PORT" <<<"${web_cmd[*]}" || die "ebsafety-web.service does not bind 127.0.0.1:8000 any more; update this script"
echo "web:    ${web_cmd[*]}"
echo "worker: ${worker_cmd[*]}"
t=$(now)
start_svc web "$(unit_value "$WEB_UNIT" WorkingDirectory)" "$ENV_FILE" "${web_cmd[@]}"
start_svc worker1 "$(unit_value "$WORKER_UNIT" WorkingDirectory)" "$ENV_FILE" "${worker_cmd[@]}"
start_svc worker2 "$(unit_value "$WORKER_UNIT" WorkingDirectory)" "$ENV_FILE" "${worker_cmd[@]}"
wait_http "http://127.0.0.1:$WEB_PORT/login/" 60 || { cat "$W/logs/web.log"; die "gunicorn did not answer on 127.0.0.1:$WEB_PORT"; }
timing "gunicorn start to first response" "$(secs "$t")"
sleep 1
check "web log has no ERROR lines" bash -c '! grep -E "\[ERROR\]|Traceback" "$0"' "$W/logs/web.log"

# ------------------------------------------------------------------------------------------------ 8. nginx
banner "8. nginx with deploy/nginx.conf and a self-signed certificate"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$W/tls/privkey.pem" -out "$W/tls/fullchain.pem" >/dev/null 2>&1 || die "openssl failed"
chmod 600 "$W/tls/privkey.pem"
# The site as shipped, with only the addresses, the port in the redirect and the certificate paths changed.
sed -e "s#server 127\.0\.0\.1:8000;#server 127.0.0.1:$WEB_PORT;#" \
  -e "s#listen 80;#listen 127.0.0.1:$HTTP_PORT;#" \
  -e "s#listen 443 #listen 127.0.0.1:$HTTPS_PORT #" \
  -e "/listen \[::\]/d" \
  -e "s#return 301 https://\$host\$request_uri;#return 301 https://\$host:$HTTPS_PORT\$request_uri;#" \
  -e "s#/etc/ssl/ebsafety/#$W/tls/#g" \
  "$APP/deploy/nginx.conf" >"$W/nginx/site.conf"
if grep -E '^\s*listen ' "$W/nginx/site.conf" | grep -vq '127\.0\.0\.1:' \
  || ! grep -q "127.0.0.1:$WEB_PORT" "$W/nginx/site.conf" || ! grep -q ":$HTTPS_PORT\$request_uri" "$W/nginx/site.conf"; then
  cat "$W/nginx/site.conf"
  die "deploy/nginx.conf no longer has the shape this script adapts (listen 80 / 443, upstream 127.0.0.1:8000)"
fi
cat >"$W/nginx/nginx.conf" <<EOF
# Debian's /etc/nginx/nginx.conf, reduced to this one site and with paths in the sandbox
user www-data;
worker_processes 2;
pid $W/nginx/nginx.pid;
error_log $W/logs/nginx-error.log;
include /etc/nginx/modules-enabled/*.conf;
events { worker_connections 256; }
http {
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
    ssl_prefer_server_ciphers on;
    access_log $W/logs/nginx-access.log;
    gzip on;
    client_body_temp_path $W/nginx/body;
    proxy_temp_path $W/nginx/proxy;
    fastcgi_temp_path $W/nginx/fastcgi;
    uwsgi_temp_path $W/nginx/uwsgi;
    scgi_temp_path $W/nginx/scgi;
    include $W/nginx/site.conf;
}
EOF
out=$(nginx -t -c "$W/nginx/nginx.conf" 2>&1) && rc=0 || rc=$?
check "nginx -t accepts deploy/nginx.conf ($(nginx -v 2>&1 | cut -d/ -f2))" test "$rc" -eq 0
((rc == 0)) || { echo "$out"; die "nginx configuration rejected"; }
nginx -c "$W/nginx/nginx.conf" || die "nginx did not start"
for _ in $(seq 50); do [[ -s $W/nginx/nginx.pid ]] && break; sleep 0.1; done

# ------------------------------------------------------------------------------------------------ 9. HTTPS
banner "9. HTTPS through nginx ($BASE)"
J=$W/jars
mkdir -p "$J"
t=$(now)
hdr=$("${CURL[@]}" -o "$W/login.html" -D - "$BASE/login/")
timing "first HTTPS response through nginx (login page)" "$(secs "$t")"
check "login page over HTTPS: 200" grep -qE '^HTTP/[0-9.]+ 200' <<<"$hdr"
check "HSTS header (max-age=31536000)" grep -qi '^strict-transport-security: max-age=31536000' <<<"$hdr"
redirect=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$HTTP_PORT/login/?x=1")
check "HTTP redirects to HTTPS (301 → $BASE/login/?x=1)" test "$redirect" = "301 $BASE/login/?x=1"
mapfile -t css < <(grep -oE 'href="/static/[^"]+\.css"' "$W/login.html" | cut -d'"' -f2)
check "login page links its CSS with hashed names (${#css[@]} files)" \
  bash -c '(($# >= 2)) && for f; do [[ $f =~ \.[0-9a-f]{12}\.css$ ]] || exit 1; done' _ "${css[@]}"
for f in "${css[@]}"; do
  h=$("${CURL[@]}" -H 'Accept-Encoding: gzip' -o /dev/null -D - "$BASE$f")
  check "$f: 200 text/css, Cache-Control max-age=315360000 immutable, compressed" \
    bash -c 'grep -qE "^HTTP/[0-9.]+ 200" <<<"$0" && grep -qi "^content-type: text/css" <<<"$0" &&
      grep -qi "^cache-control: max-age=315360000, public, immutable" <<<"$0" && grep -qi "^content-encoding: gzip" <<<"$0"' "$h"
done
code=$(login "$BASE" "$J/office" office)
check "office logs in over HTTPS (302)" test "$code" = 302
check "session cookie is Secure and HttpOnly" grep -qiE '^set-cookie: sessionid=.*HttpOnly.*Secure|^set-cookie: sessionid=.*Secure.*HttpOnly' "$J/office.headers"
check "CSRF cookie is Secure" grep -qiE '^set-cookie: csrftoken=.*Secure' "$J/office.headers"
check "home page as office: 200" test "$("${CURL[@]}" -b "$J/office" -o /dev/null -w '%{http_code}' "$BASE/")" = 200
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H 'Origin: https://attacker.example' -e https://attacker.example/ \
  -b "$J/office" -d "csrfmiddlewaretoken=$(csrf_of "$J/office")" "$BASE/logout/")
check "POST from a foreign origin is refused (CSRF 403)" test "$code" = 403

# ------------------------------------------------------------------------------------------------ 10. jobs
banner "10. imports and exports (CLI, and the web through the workers)"
printf '编码,名称,类型,上级编码,户数,人口,城乡结合部,地址\n' >"$W/units-head.csv"
parent=$(ebs_with "$ENV_FILE" units list --json | python3 -c 'import json, sys; print(next(u["code"] for u in json.load(sys.stdin) if u["kind"] == "社区"))')
{ cat "$W/units-head.csv"; printf 'SMOKE-CLI-1,冒烟测试小区（命令行）,小区,%s,100,250,否,\nSMOKE-CLI-1-B1,冒烟测试小区（命令行）1号楼,楼栋,SMOKE-CLI-1,,,,\n' "$parent"; } >"$W/units-cli.csv"
{ cat "$W/units-head.csv"; printf 'SMOKE-WEB-1,冒烟测试小区（网页）,小区,%s,80,200,否,\n' "$parent"; } >"$W/units-web.csv"
chmod 644 "$W"/units-*.csv
out=$(ebs_with "$ENV_FILE" units import "$W/units-cli.csv" --json --user office)
check "ebsafety units import (CLI): 2 created" test "$(json_get "$out" created)" = 2
out=$(ebs_with "$ENV_FILE" units import "$W/units-cli.csv" --json --user office)
check "ebsafety units import again: 2 unchanged (idempotent)" test "$(json_get "$out" unchanged)" = 2
t=$(now)
loc=$("${CURL[@]}" -b "$J/office" -c "$J/office" -o /dev/null -w '%{redirect_url}' -H "Origin: $ORIGIN" \
  -e "$BASE/core/units/import/" -F "csrfmiddlewaretoken=$(csrf_of "$J/office")" -F "file=@$W/units-web.csv" \
  "$BASE/core/units/import/")
id=$(job_id "$loc")
status=$(wait_job "$BASE" "$J/office" "$id" 90 || true)
echo "  upload job $id: $(json_get "$status" status) $(json_get "$status" progress message 2>/dev/null || true)"
check "web upload at /core/units/import/ runs in a worker: status.json succeeded, 1 created" \
  test "$(json_get "$status" status 2>/dev/null)" = succeeded -a "$(json_get "$status" result created 2>/dev/null)" = 1
timing "web upload to job succeeded" "$(secs "$t")"
check "a worker log shows the job" grep -q "state=SUCCESSFUL" "$W/logs/worker1.log" "$W/logs/worker2.log"
upload=$(cd "$SRV/var/media" && find imports -type f -name '*.csv' | head -n 1)
check "the upload is stored under MEDIA_ROOT ($upload)" test -n "$upload"
loc=$("${CURL[@]}" -b "$J/office" -o /dev/null -w '%{redirect_url}' "$BASE/core/units/?export=xlsx")
id=$(job_id "$loc")
status=$(wait_job "$BASE" "$J/office" "$id" 90 || true)
check "background export of the units (xlsx) succeeded" test "$(json_get "$status" status 2>/dev/null)" = succeeded
media_url=$(json_get "$status" result_file 2>/dev/null || true)
check "GET $media_url (status.json's result_file) through nginx: 404" \
  test "$("${CURL[@]}" -b "$J/office" -o /dev/null -w '%{http_code}' "$BASE$media_url")" = 404
for u in "/media/$upload" "/media/" "/static/../media/$upload"; do
  check "GET $u through nginx, logged in and anonymous: 404" bash -c \
    '[[ $("${@:3}" -b "$1" -o /dev/null -w "%{http_code}" --path-as-is "$2") == 404 && $("${@:3}" -o /dev/null -w "%{http_code}" --path-as-is "$2") == 404 ]]' \
    _ "$J/office" "$BASE$u" "${CURL[@]}"
done
check "the export downloads through the app for its owner (200)" \
  test "$("${CURL[@]}" -b "$J/office" -o "$W/export.xlsx" -w '%{http_code}' "$BASE/core/jobs/$id/download/")" = 200
code=$(login "$BASE" "$J/village" village)
check "village logs in (302) and cannot download office's export (404)" \
  test "$code" = 302 -a "$("${CURL[@]}" -b "$J/village" -o /dev/null -w '%{http_code}' "$BASE/core/jobs/$id/download/")" = 404

# ------------------------------------------------------------------------------------------------ 11. backup
banner "11. deploy/backup.sh as cron runs it, restore into a second database"
psql_count() { runuser -u postgres -- "$PG_BIN/psql" -h "$W/pg/socket" -p "$PG_PORT" -U postgres -d "$1" -qAt -c "SELECT count(*) FROM $2"; }
t=$(now)
# README step 5's cron line: /bin/sh as the service user, cron's environment.
out=$(runuser -u "$SVC_USER" -- env -i HOME="$SVC_HOME" LOGNAME="$SVC_USER" SHELL=/bin/sh PATH=/usr/bin:/bin \
  /bin/sh -c "set -a; . $ENV_FILE; set +a; $APP/deploy/backup.sh $W/backups" 2>&1) && rc=0 || rc=$?
echo "  $out"
timing "backup.sh (PostgreSQL and media)" "$(secs "$t")"
dump=$(find "$W/backups" -name 'db-*.dump' | sort | tail -n 1)
media_tar=$(find "$W/backups" -name 'media-*.tar.gz' | sort | tail -n 1)
check "backup.sh wrote a dump and a media archive" test "$rc" -eq 0 -a -n "$dump" -a -n "$media_tar"
check "backup files are private (mode 600)" test "$(stat -c %a "$dump")" = 600
check "the media archive holds the upload" bash -c 'tar -tzf "$0" | grep -qF "$1"' "$media_tar" "$upload"
t=$(now)
out=$(runuser -u "$SVC_USER" -- pg_restore --clean --if-exists --no-owner --exit-on-error --single-transaction \
  -d "$RESTORE_URL" "$dump" 2>&1) && rc=0 || rc=$?
[[ -z $out ]] || echo "$out" | tail -n 5
timing "pg_restore into an empty database" "$(secs "$t")"
check "README's pg_restore command restores into an empty database without errors" test "$rc" -eq 0
for table in core_unit core_changerecord core_user core_job; do
  a=$(psql_count ebsafety "$table")
  b=$(psql_count ebsafety_restore "$table" 2>/dev/null || echo missing)
  check "$table rows: live $a, restored $b" test "$a" = "$b"
done
out=$(runuser -u "$SVC_USER" -- pg_restore --clean --if-exists --no-owner --exit-on-error --single-transaction \
  -d "$RESTORE_URL" "$dump" 2>&1) && rc=0 || rc=$?
check "restoring again over the restored database works (--clean --if-exists)" test "$rc" -eq 0
restore_env=$W/restore.env
install -o root -g "$SVC_USER" -m 640 "$ENV_FILE" "$restore_env"
set_env "$restore_env" DATABASE_URL "$RESTORE_URL"
check "the restored database is usable: migrate --check" ebs_with "$restore_env" migrate --check

t=$(now)
stop_svc web TERM 30 && rc=0 || rc=$?
check "gunicorn stops on SIGTERM" test "$rc" -eq 0
for w in worker1 worker2; do
  stop_svc "$w" INT 60 && rc=0 || rc=$?
  check "$w stops on SIGINT (KillSignal of the unit)" test "$rc" -eq 0
done
timing "stop web and workers" "$(secs "$t")"

# ------------------------------------------------------------------------------------------------ 12. SQLite
banner "12. single-town SQLite: ebsafety serve, backup.sh, restore"
SQ_ENV=$SRV/sqlite.env
install -o root -g "$SVC_USER" -m 640 "$ENV_FILE" "$SQ_ENV"
del_env "$SQ_ENV" DATABASE_URL
set_env "$SQ_ENV" EBSAFETY_VAR_DIR "$SRV/var-sqlite"
set_env "$SQ_ENV" MEDIA_ROOT "$SRV/var-sqlite/media"
set_env "$SQ_ENV" STATIC_ROOT "$SRV/var-sqlite/static"
set_env "$SQ_ENV" BIND "127.0.0.1:$SERVE_PORT"
set_env "$SQ_ENV" CSRF_TRUSTED_ORIGINS "https://127.0.0.1:$SERVE_PORT"
install -d -o "$SVC_USER" -g "$SVC_USER" -m 750 "$SRV/var-sqlite"
install -d -o "$SVC_USER" -g "$SVC_USER" -m 700 "$W/backups-sqlite"
t=$(now)
ebs_with "$SQ_ENV" migrate --noinput -v 0 || die "migrate (SQLite) failed"
timing "migrate (SQLite, empty database)" "$(secs "$t")"
ebs_with "$SQ_ENV" collectstatic --noinput -v 0 || die "collectstatic (SQLite) failed"
ebs_with "$SQ_ENV" demo --if-empty >/dev/null 2>&1 || die "demo (SQLite) failed"
SQLITE_DB=$SRV/var-sqlite/ebsafety.sqlite3
start_serve() {
  start_svc serve "$APP" "$SQ_ENV" "$APP/.venv/bin/ebsafety" serve
  wait_http "http://127.0.0.1:$SERVE_PORT/login/" 60
}
t=$(now)
start_serve || { cat "$W/logs/serve.log"; die "ebsafety serve did not answer"; }
timing "ebsafety serve start to first response" "$(secs "$t")"
SBASE=http://127.0.0.1:$SERVE_PORT
ORIGIN=https://127.0.0.1:$SERVE_PORT   # what the browser would send behind TLS
code=$(login "$SBASE" "$J/sq-office" office)
check "SQLite: office logs in to ebsafety serve (302)" test "$code" = 302
loc=$("${CURL[@]}" -H 'X-Forwarded-Proto: https' -b "$J/sq-office" -c "$J/sq-office" -o /dev/null -w '%{redirect_url}' \
  -H "Origin: $ORIGIN" -e "$ORIGIN/core/units/import/" -F "csrfmiddlewaretoken=$(csrf_of "$J/sq-office")" \
  -F "file=@$W/units-web.csv" "$SBASE/core/units/import/")
status=$(wait_job "$SBASE" "$J/sq-office" "$(job_id "$loc")" 90 || true)
check "SQLite: web upload runs in serve's worker (succeeded)" test "$(json_get "$status" status 2>/dev/null)" = succeeded
sq_count() { runuser -u "$SVC_USER" -- sqlite3 "$1" "SELECT count(*) FROM $2"; }  # as the owner: -wal/-shm stay theirs
out=$(runuser -u "$SVC_USER" -- env -i HOME="$SVC_HOME" LOGNAME="$SVC_USER" SHELL=/bin/sh PATH=/usr/bin:/bin \
  /bin/sh -c "set -a; . $SQ_ENV; set +a; $APP/deploy/backup.sh $W/backups-sqlite" 2>&1) && rc=0 || rc=$?
echo "  $out"
sq_backup=$(find "$W/backups-sqlite" -name 'db-*.sqlite3' | sort | tail -n 1)
check "SQLite: backup.sh made an online backup while serve runs" test "$rc" -eq 0 -a -n "$sq_backup"
units_at_backup=$(sq_count "$sq_backup" core_unit)
records_at_backup=$(sq_count "$sq_backup" core_changerecord)
check "SQLite: backup has the live row counts ($units_at_backup units)" test "$units_at_backup" = "$(sq_count "$SQLITE_DB" core_unit)"
{ cat "$W/units-head.csv"; printf 'SMOKE-AFTER-BACKUP,备份之后新增,小区,%s,,,,\n' "$parent"; } >"$W/units-after.csv"
chmod 644 "$W/units-after.csv"
ebs_with "$SQ_ENV" units import "$W/units-after.csv" --json >/dev/null
stop_svc serve TERM 30 || true
rm -f "$SQLITE_DB-wal" "$SQLITE_DB-shm"   # README's SQLite restore
install -o "$SVC_USER" -g "$SVC_USER" -m 600 "$sq_backup" "$SQLITE_DB"
check "SQLite: restored file has the backup's rows ($units_at_backup units, $records_at_backup change records)" \
  test "$(sq_count "$SQLITE_DB" core_unit)" = "$units_at_backup" -a "$(sq_count "$SQLITE_DB" core_changerecord)" = "$records_at_backup"
check "SQLite: ebsafety serve starts again on the restored database" start_serve
check "SQLite: the session survives the restore (home page 200)" \
  test "$("${CURL[@]}" -H 'X-Forwarded-Proto: https' -b "$J/sq-office" -o /dev/null -w '%{http_code}' "$SBASE/")" = 200
stop_svc serve TERM 30 || true

# ------------------------------------------------------------------------------------------------ summary
banner "summary"
printf '%s\n' "${TIMINGS[@]}"
printf '%-50s %7ss\n' "total" "$(secs "$T0")"
echo
printf '%s\n' "${RESULTS[@]}"
passed=$(printf '%s\n' "${RESULTS[@]}" | grep -c '^PASS' || true)
failed=$(printf '%s\n' "${RESULTS[@]}" | grep -c '^FAIL' || true)
echo
if ((FAILED)); then
  echo "smoke-test: FAILED ($failed of $((passed + failed)) checks); logs in $W/logs (run with --keep to keep them)"
  exit 1
fi
echo "smoke-test: all $passed checks passed"
