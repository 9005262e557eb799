"""`ebsafety units import FILE` and `ebsafety units list --json`."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from ebsafety.core.choices import Action, UnitKind
from ebsafety.core.management.base import ScopedCommand
from ebsafety.core.models import Unit
from ebsafety.core.tabular import TabularError
from ebsafety.core.unit_import import UnitImportError, import_units


class Command(ScopedCommand):
    help = "Import or list the units of the org tree."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        imp = sub.add_parser("import", help="create or update units from an xlsx or csv file (idempotent)")
        imp.add_argument("file")
        imp.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        imp.add_argument("--json", action="store_true", help="print the outcome as JSON")
        lst = sub.add_parser("list", help="list units")
        lst.add_argument(
            "--json", action="store_true", help="print a JSON array of {code, name, kind, parent}"
        )
        lst.add_argument("--within", help="only this unit (by code) and the units below it")
        for p in (imp, lst):
            p.add_argument("--user", help="act as this user (their scope applies)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "import":
            self.import_file(options)
        else:
            self.list_units(options)

    def import_file(self, options: dict[str, Any]) -> None:
        if self.user is not None and not self.user.is_office:
            raise CommandError("只有整治办可以导入单位表")
        try:
            result = import_units(options["file"], dry_run=options["dry_run"])
        except FileNotFoundError as exc:
            raise CommandError(f"文件不存在：{options['file']}") from exc
        except (UnitImportError, TabularError) as exc:
            raise CommandError(f"单位表未导入（未写入任何数据）：\n{exc}") from exc
        if options["json"]:
            self.stdout.write(
                json.dumps({**result.as_dict(), "dry_run": options["dry_run"]}, ensure_ascii=False)
            )
        else:
            prefix = "（试运行，未写入）" if options["dry_run"] else ""
            self.stdout.write(prefix + result.summary())

    def list_units(self, options: dict[str, Any]) -> None:
        units = self.scoped(Unit.objects.select_related("parent"), Action.VIEW).order_by("path")
        if options.get("within"):
            top = units.filter(code=options["within"]).first()
            if top is None:
                raise CommandError(f"单位“{options['within']}”不存在或不在您的范围内")
            units = units.filter(path__startswith=top.path)
        labels = dict(UnitKind.choices)
        rows = [
            {
                "code": u.code,
                "name": u.name,
                "kind": labels[u.kind],
                "parent": u.parent.code if u.parent_id else None,
            }
            for u in units
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
        else:
            for row in rows:
                self.stdout.write(f"{row['code']}\t{row['name']}\t{row['kind']}\t{row['parent'] or ''}")
