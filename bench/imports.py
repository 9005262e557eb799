"""`make bench-import`: the ledger import and export engine on generated e-bike ledgers.

    python -m bench.imports [--rows 100000 1000000] [--formats xlsx csv] [--compare 100000] [--export]

For each size and format it generates (once, cached under bench/out/data/) a ledger of new bikes and owners
(bench.ledgers), then imports it into a fresh database in a child process — the child's peak RSS is read
with os.wait4 — and reports the engine's own phase timings (read, validate, match, write), the end-to-end time
from file to committed rows and rows/s. `--compare N` also imports the N-row xlsx with django-import-export
(configured in bench.iexport) in its own child, side by side; `--export` times the xlsx export of every bike
the last import wrote, through the platform's export path. Runs against a temporary SQLite database, or the
PostgreSQL of DATABASE_URL, whose data it replaces. Results: bench/out/imports.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
UNIT_CODE = "BENCH-C"


def setup_django(workdir: Path) -> None:
    os.environ.setdefault("EBSAFETY_VAR_DIR", str(workdir))
    os.environ.setdefault("MEDIA_ROOT", str(workdir / "media"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ebsafety.settings")
    import django

    django.setup()


def database_vendor() -> str:
    from django.db import connection

    return connection.vendor


def create_units() -> None:
    """A town, the benchmark community and its compounds (the names the generated ledgers use)."""
    from bench.ledgers import COMPOUNDS
    from ebsafety.core.choices import UnitKind
    from ebsafety.core.models import Unit

    town = Unit.objects.create(code="BENCH", name="基准镇", kind=UnitKind.TOWN)
    community = Unit.objects.create(code=UNIT_CODE, name="金桥社区", kind=UnitKind.COMMUNITY, parent=town)
    for index, name in enumerate(COMPOUNDS, start=1):
        code = f"{UNIT_CODE}-{index:02d}"
        Unit.objects.create(code=code, name=name, kind=UnitKind.COMPOUND, parent=community)


def prepare(workdir: Path) -> dict[str, str]:
    """Migrate an empty database with the benchmark units; return the environment for the children."""
    env = dict(os.environ, EBSAFETY_VAR_DIR=str(workdir), MEDIA_ROOT=str(workdir / "media"))
    if not os.environ.get("DATABASE_URL"):
        env["SQLITE_PATH"] = str(workdir / "template.sqlite3")
    run_child(["prepare"], env)
    return env


def fresh_database(env: dict[str, str], workdir: Path, name: str) -> dict[str, str]:
    """A copy of the prepared SQLite database (or, on PostgreSQL, the ledgers emptied) for one run."""
    if os.environ.get("DATABASE_URL"):
        run_child(["reset"], env)
        return env
    target = workdir / f"{name}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(workdir / "template.sqlite3", target)
    return dict(env, SQLITE_PATH=str(target))


def run_child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run `python -m bench.imports --child …`; its last stdout line is JSON; add its peak RSS (MB)."""
    command = [sys.executable, "-m", "bench.imports", "--child", *args]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"child {args} failed with exit code {process.returncode}")
    lines = [line for line in output.splitlines() if line.strip()]
    result = json.loads(lines[-1]) if lines else {}
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024)  # Linux reports KiB
    result["child_cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)  # less sensitive to a busy machine
    result["child_wall_s"] = round(time.perf_counter() - started, 2)
    return result


# -- children ------------------------------------------------------------------------------------------------


def child(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(os.environ["EBSAFETY_VAR_DIR"])
    setup_django(workdir)
    from django.core.management import call_command

    if args.child == "prepare":
        call_command("migrate", "--noinput", verbosity=0)
        if database_vendor() == "postgresql":
            call_command("flush", "--noinput", verbosity=0)
        create_units()
        return {}
    if args.child == "reset":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE ledgers_rider_ebikes, ledgers_rider, ledgers_sale, ledgers_ebike, ledgers_person, "
                "ledgers_importbatch CASCADE"
            )
            # The previous run's dirty pages (a million rows' worth) written now, not during this run.
            cursor.execute(
                "SELECT pg_has_role('pg_checkpoint', 'member') OR rolsuper FROM pg_roles "
                "WHERE rolname = current_user"
            )
            if cursor.fetchone()[0]:
                cursor.execute("CHECKPOINT")
        return {}
    if args.child == "import":
        return child_import(Path(args.file))
    if args.child == "iexport":
        from bench.iexport import import_with_django_import_export

        return import_with_django_import_export(Path(args.file))
    if args.child == "export":
        return child_export()
    raise SystemExit(f"unknown child {args.child}")


def child_import(path: Path) -> dict[str, Any]:
    from ebsafety.core.models import Unit
    from ebsafety.ledgers.bulk import wait_for_checkpoints
    from ebsafety.ledgers.importer import run_import

    unit = Unit.objects.get(code=UNIT_CODE)
    started = time.perf_counter()
    outcome = run_import(kind="ebike", unit=unit, path=path, commit=True)
    total = time.perf_counter() - started
    # After a large load on SQLite the WAL is copied into the database on a thread of its own, once the
    # rows are committed (`bulk.checkpoint_in_background`): timed apart, not part of file → committed rows.
    checkpoint = wait_for_checkpoints()
    # the counts alone: `as_json()` would also build the CLI's list of every warning (272,905 at 1M rows,
    # +40 MB), which is not part of the import
    counts = {**outcome.counts(), "committed": outcome.committed}
    return {
        "database": database_vendor(),
        "file": path.name,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        **{k: counts[k] for k in ("rows", "accepted", "rejected", "added", "warnings", "committed")},
        "phases_s": {**outcome.timings, "checkpoint_after_s": round(checkpoint, 3)},
        "total_s": round(total, 2),
        "rows_per_s": round(outcome.rows / total),
    }


def child_export() -> dict[str, Any]:
    """Export every active bike to xlsx as `ebsafety ledger export` does (masked), and time it."""
    from ebsafety.core import exports
    from ebsafety.ledgers.choices import RecordStatus
    from ebsafety.ledgers.exporting import base_queryset, export_rows
    from ebsafety.ledgers.specs import SPECS

    queryset = base_queryset("ebike").filter(status=RecordStatus.ACTIVE)
    count = queryset.count()
    target = Path(os.environ["EBSAFETY_VAR_DIR"]) / "export.xlsx"
    started = time.perf_counter()
    content = exports.render(export_rows("ebike", queryset, masked=True), "xlsx", SPECS["ebike"].label)
    target.write_bytes(content)
    total = time.perf_counter() - started
    return {
        "database": database_vendor(),
        "rows": count,
        "xlsx_mb": round(len(content) / 1e6, 1),
        "total_s": round(total, 2),
        "rows_per_s": round(count / total),
    }


# -- the run -------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000], help="ledger sizes (rows)")
    parser.add_argument("--formats", nargs="+", default=["xlsx", "csv"], choices=["xlsx", "csv"])
    parser.add_argument("--compare", type=int, help="also import this size's xlsx with django-import-export")
    parser.add_argument("--export", action="store_true", help="time the xlsx export after the last import")
    parser.add_argument("--data", type=Path, default=OUT / "data", help="where generated ledgers are kept")
    parser.add_argument("--out", type=Path, default=OUT / "imports.json")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (databases, export)")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args), ensure_ascii=False))
        return

    from bench.ledgers import cached_ledger

    workdir = Path(tempfile.mkdtemp(prefix="ebsafety-bench-import-"))
    results: dict[str, Any] = {"python": sys.version.split()[0], "runs": []}
    try:
        env = prepare(workdir)
        last_env = env
        for rows in args.rows:
            for fmt in args.formats:
                started = time.perf_counter()
                path = cached_ledger(args.data, rows, fmt)
                print(f"ledger {path.name} ready in {time.perf_counter() - started:.1f}s", flush=True)
                last_env = fresh_database(env, workdir, f"{fmt}-{rows}")
                result = run_child(["import", "--file", str(path)], last_env)
                results["database"] = result["database"]
                results["runs"].append({"kind": "import", "format": fmt, **result})
                show(results["runs"][-1])
        if args.compare:
            path = cached_ledger(args.data, args.compare, "xlsx")
            ours = run_child(["import", "--file", str(path)], fresh_database(env, workdir, "ours"))
            theirs = run_child(["iexport", "--file", str(path)], fresh_database(env, workdir, "theirs"))
            comparison = {
                "kind": "compare",
                "format": "xlsx",
                "rows": ours["rows"],
                "ebsafety": ours,
                "django_import_export": theirs,
                "speedup": round(theirs["total_s"] / ours["total_s"], 1),
            }
            results["runs"].append(comparison)
            show(comparison)
        if args.export:
            result = run_child(["export"], last_env)
            results["runs"].append({"kind": "export", "format": "xlsx", **result})
            show(results["runs"][-1])
    finally:
        if args.keep:
            print(f"working directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"results in {args.out}")


def show(run: dict[str, Any]) -> None:
    if run["kind"] == "compare":
        ours, theirs = run["ebsafety"], run["django_import_export"]
        print(
            f"compare {run['rows']} rows xlsx: ebsafety {ours['total_s']} s, django-import-export "
            f"{theirs['total_s']} s ({theirs.get('rows_per_s')} rows/s) -> {run['speedup']}x",
            flush=True,
        )
        return
    phases = " ".join(f"{k}={v}" for k, v in run.get("phases_s", {}).items())
    print(
        f"{run['kind']} {run['format']} {run['rows']} rows on {run['database']}: {run['total_s']} s, "
        f"{run['rows_per_s']} rows/s, peak RSS {run['peak_rss_mb']} MB, child CPU {run['child_cpu_s']} s "
        f"(wall {run['child_wall_s']} s)  {phases}",
        flush=True,
    )


if __name__ == "__main__":
    main()
