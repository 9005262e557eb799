"""Reliability of the public tip API under load: N concurrent clients POST tips for S seconds against the
production server set-up (gunicorn, several sync workers) on SQLite (WAL) or PostgreSQL. Loopback only.

    .venv/bin/python -m bench.tips_load [--clients 50] [--seconds 60] [--workers 4] [--postgres]

Each client keeps one connection and posts as fast as answers come. Clients send X-Forwarded-For with a
fresh address per request (the server trusts one proxy, as behind nginx) so the per-address limit does not
end the run; one extra "abuser" client posts from a single address and phone and must keep getting 429s.
At the end every tracking code answered 201 must be in the database and every stored tip must have been
answered 201 (zero lost, zero phantom), no answer may be a 5xx, and the town's tips officer must have been
notified of every stored tip. `--postgres` starts a throw-away
PostgreSQL cluster on a loopback port (needs Debian's postgresql and root); otherwise a temporary SQLite
file is used. Prints the figures as JSON (for docs/performance.md).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
SETUP = """
import datetime
from ebsafety.core.models import Campaign, Unit
town, _ = Unit.objects.get_or_create(code="LT", defaults={"name": "压测镇", "kind": "town"})
Unit.objects.get_or_create(
    code="LT-C1", defaults={"name": "压测小区", "kind": "compound", "parent": town}
)
today = datetime.date.today()
Campaign.objects.get_or_create(
    unit=town, status="active",
    defaults={"name": "压测", "start_date": today, "end_date": today + datetime.timedelta(days=90)},
)
from ebsafety.core.models import Membership, User
officer, _ = User.objects.get_or_create(username="lt-tips")
Membership.objects.get_or_create(user=officer, role="tips_officer", unit=town)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


class Postgres:
    """A throw-away PostgreSQL cluster in a temporary directory, on a loopback port (run as root)."""

    def __init__(self, workdir: Path) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins:
            raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
        self.bin = bins[-1]
        self.data = workdir / "pg"
        self.port = free_port()
        self.data.mkdir()
        shutil.chown(workdir, "postgres")
        shutil.chown(self.data, "postgres")

    def run(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> str:
        self.run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8"
        )
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.data}"
        self.run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            opts,
            "-w",
            "-l",
            str(self.data / "log"),
            "start",
        )
        self.run(
            str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "bench"
        )
        return f"postgres://postgres@127.0.0.1:{self.port}/bench"

    def stop(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


def client(port: int, index: int, stop_at: float, out: list[tuple[int, float, str]], abuser: bool) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    n = 0
    while time.monotonic() < stop_at:
        n += 1
        address = "10.99.99.99" if abuser else f"10.{index % 250}.{(n // 250) % 250}.{n % 250 + 1}"
        body = {
            "category": "corridor_parking",
            "description": f"压测举报 {index}-{n}：楼道有电动车充电",
            "unit": "LT-C1",
            "address": "",
            "name": "",
            "phone": "13900000000" if abuser else "",
            "contact_consent": False,
        }
        payload = json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "X-Forwarded-For": address}
        start = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/public/tips/", payload, headers)
            response = conn.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            out.append((599, time.perf_counter() - start, ""))
            continue
        code = json.loads(data)["tracking_code"] if status == 201 else ""
        out.append((status, time.perf_counter() - start, code))
    conn.close()


def warm_up(port: int, workers: int) -> None:
    """Load every worker's URLconf and views before the clock starts (the first request of a cold worker
    imports the whole project: seconds, not what a running server costs)."""

    def get() -> None:
        for _ in range(3):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("GET", "/api/v1/public/tip-categories/")
            conn.getresponse().read()
            conn.close()

    threads = [threading.Thread(target=get) for _ in range(workers * 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else 0.0


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="tips-load-"))
    env = {
        **os.environ,
        "EBSAFETY_VAR_DIR": str(workdir / "var"),
        "SECRET_KEY": "tips-load-bench",
        "PROXY_COUNT": "1",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "TIPS_SUBMIT_MAX_PER_PHONE": "5",
        "TIPS_SUBMIT_MAX_PER_ADDRESS": "20",
    }
    env.pop("DATABASE_URL", None)
    postgres = Postgres(workdir) if args.postgres else None
    if postgres is not None:
        env["DATABASE_URL"] = postgres.start()
    else:
        env["SQLITE_PATH"] = str(workdir / "bench.sqlite3")
    server = None
    try:
        ebs = str(VENV_BIN / "ebsafety")
        subprocess.run([ebs, "migrate", "-v0"], env=env, check=True)
        subprocess.run([ebs, "shell", "-c", SETUP], env=env, check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        server = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "ebsafety.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(args.workers),
                "--backlog",
                "2048",
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            env=env,
        )
        wait_for(port)
        warm_up(port, args.workers)
        results: list[list[tuple[int, float, str]]] = [[] for _ in range(args.clients + 1)]
        stop_at = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=client, args=(port, i, stop_at, results[i], i == args.clients))
            for i in range(args.clients + 1)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        # count what the database holds (through Django, with the bench's settings)
        counted = subprocess.run(
            [
                ebs,
                "shell",
                "-c",
                "from ebsafety.tips.models import Tip; from ebsafety.core.models import Notification; "
                "import json; print(json.dumps([list(Tip.objects.values_list('tracking_code', flat=True)), "
                "Notification.objects.filter(kind='tip_new').count()]))",
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        codes, notified = json.loads(counted.stdout.strip().splitlines()[-1])
        stored = set(codes)
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    normal = [r for rows in results[:-1] for r in rows]
    abuse = results[-1]
    answered = {r[2] for rows in results for r in rows if r[0] == 201}
    statuses: dict[str, int] = {}
    for rows in results:
        for status, _, _ in rows:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
    latencies = [r[1] * 1000 for rows in results for r in rows]
    return {
        "database": "postgresql" if args.postgres else "sqlite-wal",
        "clients": args.clients,
        "abuser_clients": 1,
        "seconds": round(elapsed, 1),
        "gunicorn_workers": args.workers,
        "requests": len(latencies),
        "created_201": len(answered),
        "per_second_201": round(len(answered) / elapsed, 1),
        "statuses": statuses,
        "errors_5xx": sum(1 for rows in results for r in rows if r[0] >= 500),
        "lost": len(answered - stored),
        "phantom": len(stored - answered),
        "officer_notifications": notified,  # one per stored tip: the tips officer of the town is told of each
        "abuser_429": sum(1 for r in abuse if r[0] == 429),
        "abuser_201": sum(1 for r in abuse if r[0] == 201),
        "normal_429": sum(1 for r in normal if r[0] == 429),
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p95": round(percentile(latencies, 95), 1),
            "p99": round(percentile(latencies, 99), 1),
            "max": round(max(latencies, default=0), 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--postgres", action="store_true", help="a throw-away PostgreSQL cluster (root only)")
    figures = run(parser.parse_args())
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    ok = (
        figures["errors_5xx"] == 0
        and figures["lost"] == 0
        and figures["phantom"] == 0
        and figures["officer_notifications"] == figures["created_201"]
        and figures["abuser_429"]
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
