"""`ebsafety ledger import|template|export`: ledgers from and to spreadsheets."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from ebsafety.core import exports
from ebsafety.core.choices import Action
from ebsafety.core.management.base import ScopedCommand
from ebsafety.core.models import Unit
from ebsafety.core.privacy import may_unmask
from ebsafety.ledgers.choices import ImportMode, LedgerKind
from ebsafety.ledgers.exporting import (
    MODELS,
    base_queryset,
    export_rows,
    export_unit_path,
    unmasked_export_rows,
)
from ebsafety.ledgers.importer import ImportRefused, run_import
from ebsafety.ledgers.reader import UnreadableFile
from ebsafety.ledgers.specs import SPECS
from ebsafety.ledgers.templates_xlsx import template

KINDS = list(SPECS)


class Command(ScopedCommand):
    help = "Import a ledger file for a unit, write a ledger template, export a ledger, or freeze a period."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        imp = sub.add_parser("import", help="import a ledger file (xlsx, xls or csv) submitted by a unit")
        imp.add_argument("--kind", required=True, choices=KINDS)
        imp.add_argument("--unit", required=True, help="code of the submitting unit")
        imp.add_argument("file")
        imp.add_argument("--mode", choices=ImportMode.values, default=ImportMode.INCREMENTAL)
        imp.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        imp.add_argument("--json", action="store_true", help="print the outcome as one JSON object")
        tpl = sub.add_parser("template", help="write the xlsx template of a ledger kind")
        tpl.add_argument("--kind", required=True, choices=KINDS)
        tpl.add_argument("-o", "--output", required=True)
        exp = sub.add_parser("export", help="export a ledger (xlsx or csv by the file's extension)")
        exp.add_argument("--kind", required=True, choices=KINDS)
        exp.add_argument("--unit", help="only this unit and the units below it")
        exp.add_argument("-o", "--output", required=True)
        exp.add_argument("--mask", action="store_true", help="mask ID and phone numbers")
        exp.add_argument("--include-retired", action="store_true")
        for p in (imp, tpl, exp):
            p.add_argument("--user", help="act as this user (their scope applies)")
        snap = sub.add_parser(
            "snapshot",
            help="freeze the ledgers as they stand at the end of a half-month period (system only; the "
            "scheduler does it at 00:05 after each period)",
        )
        snap.add_argument(
            "--period", help="any day of the period (YYYY-MM-DD); default: the period that ended last"
        )
        snap.add_argument(
            "--kind",
            choices=list(MODELS),
            help="only this ledger (default: every ledger; those with a snapshot already are skipped)",
        )
        snap.add_argument("--replace", action="store_true", help="replace the period's existing snapshot")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"do_{options['subcommand']}")(options)

    def unit(self, code: str, action: str) -> Unit:
        unit = self.scoped(Unit.objects.all(), Action.VIEW).filter(code=code).first()
        if unit is None:
            raise CommandError(f"单位“{code}”不存在或不在您的范围内")
        return unit

    def do_import(self, options: dict[str, Any]) -> None:
        unit = self.unit(options["unit"], Action.ADD)
        model = MODELS[options["kind"]]
        if self.user is not None and Action.ADD not in _actions(self.user, model):
            raise CommandError("您的角色不能导入该台账")
        path = Path(options["file"])
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        try:
            outcome = run_import(
                kind=options["kind"],
                unit=unit,
                path=path,
                mode=options["mode"],
                commit=not options["dry_run"],
                user=self.user,
            )
        except (UnreadableFile, ImportRefused) as exc:
            raise CommandError(f"无法导入：{exc}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(outcome.as_json(), ensure_ascii=False))
            return
        verb = "已导入" if outcome.committed else "检查完成（未写入）"
        self.stdout.write(
            f"{verb}：共 {outcome.rows} 行，通过 {outcome.accepted}，拒绝 {outcome.rejected}；"
            f"新增 {outcome.added}，更新 {outcome.changed}，未变 {outcome.unchanged}，"
            f"注销 {outcome.retired}，"
            f"冲突 {outcome.conflict_count}，提示 {outcome.warnings}。"
        )
        for issue in outcome.errors[:50]:
            self.stdout.write(f"  第 {issue.row} 行 [{issue.column}] {issue.message}")
        if len(outcome.errors) > 50:
            self.stdout.write(f"  …… 另有 {len(outcome.errors) - 50} 条错误")

    def do_snapshot(self, options: dict[str, Any]) -> None:
        import datetime

        from django.utils import timezone

        from ebsafety.core.periods import HalfMonth, period_for
        from ebsafety.ledgers.as_of import FREEZE_WITHIN, SnapshotRefused, period_end_moment, take_snapshot

        if options.get("period"):
            try:
                period = HalfMonth.containing(datetime.date.fromisoformat(options["period"]))
            except ValueError as exc:
                raise CommandError(f"日期“{options['period']}”应为 YYYY-MM-DD") from exc
        else:
            period = period_for(timezone.localdate()).previous()
        now = timezone.now()
        kinds = [options["kind"]] if options.get("kind") else list(MODELS)
        taken, existing = 0, []
        for kind in kinds:
            try:
                snapshot = take_snapshot(period, now, replace=options["replace"], kind=kind)
            except SnapshotRefused as exc:
                if not exc.exists:  # the period has not ended: no ledger can be frozen
                    raise CommandError(str(exc)) from exc
                existing.append(str(exc))
                continue
            taken += 1
            label = LedgerKind(kind).label
            unit_word = "辆在册车辆" if kind == LedgerKind.EBIKE else "条在册记录"
            counted = f"{snapshot.rows} {unit_word}"
            self.stdout.write(f"已生成{period.label}期末{label}台账快照：{counted}")
        if existing and not taken:
            raise CommandError(f"{'；'.join(existing)}；如需重新生成请加 --replace")
        for refusal in existing:
            self.stdout.write(self.style.WARNING(f"跳过：{refusal}（如需重新生成请加 --replace）"))
        if now - period_end_moment(period) > FREEZE_WITHIN:
            self.stdout.write(
                self.style.WARNING(
                    "注意：快照晚于期末保存，期末之后对台账字段的修改已计入（是否在册仍按期末判断），"
                    "页面会如实说明。"
                )
            )

    def do_template(self, options: dict[str, Any]) -> None:
        Path(options["output"]).write_bytes(template(options["kind"]))
        self.stdout.write(f"模板已写入 {options['output']}")

    def do_export(self, options: dict[str, Any]) -> None:
        from ebsafety.ledgers.choices import RecordStatus

        kind = options["kind"]
        queryset = self.scoped(base_queryset(kind), Action.VIEW)
        if options.get("unit"):
            unit = self.unit(options["unit"], Action.VIEW)
            queryset = queryset.filter(unit__path__startswith=unit.path)
        if not options["include_retired"]:
            queryset = queryset.filter(status=RecordStatus.ACTIVE)
        output = Path(options["output"])
        fmt = output.suffix.lower().lstrip(".")
        if fmt not in ("xlsx", "csv"):
            raise CommandError("输出文件的扩展名应为 .xlsx 或 .csv")
        if options["mask"] or not may_unmask(self.user):
            rows = export_rows(kind, queryset, masked=True)
        else:
            filters = " ".join(
                f"{name}={options[name]}" for name in ("unit", "include_retired") if options.get(name)
            )
            unit_path = export_unit_path(self.user, options.get("unit") or "")
            rows = unmasked_export_rows(kind, queryset, self.user, filters=filters, unit_path=unit_path)
        output.write_bytes(exports.render(rows, fmt, SPECS[kind].label))
        self.stdout.write(f"已导出到 {output}")


def _actions(user: Any, model: Any) -> set[str]:
    from ebsafety.core.scoping import allowed_actions

    return allowed_actions(user, model)
