"""`make bench`: performance figures of the platform on this machine.

Runs against a throw-away database (a temporary SQLite file, or the PostgreSQL of DATABASE_URL — whose data
it replaces with the district demo: never point it at production). Prints a table and writes
bench/out/results.json. The figures and the command belong in docs/performance.md.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def timed(func: Callable[[], Any], repeat: int = 5) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(runs), 1), "min_ms": round(min(runs), 1), "runs": repeat}


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="ebsafety-bench-"))
    os.environ.setdefault("EBSAFETY_VAR_DIR", str(workdir))
    os.environ.setdefault("STATIC_ROOT", str(ROOT / "var" / "static"))  # collected by make setup
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ebsafety.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from ebsafety.core.demo import build_demo
    from ebsafety.core.models import Unit, User
    from ebsafety.core.unit_import import import_units

    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    call_command("migrate", "--noinput", verbosity=0)
    if database == "postgresql":
        call_command("flush", "--noinput", verbosity=0)
    results: dict[str, Any] = {"database": database, "python": sys.version.split()[0]}

    start = time.perf_counter()
    build_demo(seed=1, scale="district")
    results["demo_district_build_s"] = round(time.perf_counter() - start, 2)
    results["units"] = Unit.objects.count()

    office = User.objects.get(username="office")
    village = User.objects.get(username="village")

    def subtree() -> None:
        list(Unit.objects.visible_to(village).values_list("pk", flat=True))

    results["scoped_subtree_query_village"] = timed(subtree, 50)
    results["scoped_query_office_all_units"] = timed(
        lambda: list(Unit.objects.visible_to(office).values_list("pk", flat=True)), 20
    )

    clients = {}
    for user in (office, village):
        client = Client()
        client.force_login(user)
        clients[user.username] = client
    results["page_unit_list_office"] = timed(lambda: clients["office"].get("/core/units/"), 10)
    results["page_unit_list_village"] = timed(lambda: clients["village"].get("/core/units/"), 10)
    results["api_units_office_limit_500"] = timed(
        lambda: clients["office"].get("/api/v1/units/?limit=500"), 10
    )
    results["export_units_xlsx_office"] = timed(lambda: clients["office"].get("/core/units/?export=xlsx"), 5)
    results["home_page_office"] = timed(lambda: clients["office"].get("/"), 10)

    export = clients["office"].get("/core/units/?export=csv").content
    units_file = workdir / "units.csv"
    lines = export.decode("utf-8-sig").splitlines()
    # the export's columns are the table's; re-shape into the import's (code, name, kind label, parent code)
    import csv

    codes = dict(Unit.objects.values_list("pk", "code"))
    parent_code = {u.code: codes.get(u.parent_id, "") for u in Unit.objects.all()}
    reader = csv.DictReader(lines)
    with units_file.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["编码", "名称", "类型", "上级编码", "户数", "人口"])
        for row in reader:
            writer.writerow(
                [row["编码"], row["名称"], row["类型"], parent_code[row["编码"]], row["户数"], row["人口"]]
            )
    results["units_import_idempotent_rerun"] = timed(lambda: import_units(str(units_file)), 3)

    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    width = max(len(k) for k in results)
    for key, value in results.items():
        shown = (
            f"{value['median_ms']} ms (min {value['min_ms']}, n={value['runs']})"
            if isinstance(value, dict)
            else value
        )
        print(f"{key:<{width}}  {shown}")


if __name__ == "__main__":
    main()
