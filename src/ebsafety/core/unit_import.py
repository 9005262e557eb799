"""Importing the org tree from a spreadsheet: idempotent, all or nothing, with row numbers in every error."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ebsafety.core.choices import UnitKind
from ebsafety.core.models import Unit
from ebsafety.core.models.org import UNIT_CODE_VALIDATOR
from ebsafety.core.tabular import clean_text, normalise_header, read_rows

COLUMNS = {
    "code": ("编码", "单位编码", "代码"),
    "name": ("名称", "单位名称"),
    "kind": ("类型", "单位类型"),
    "parent": ("上级编码", "上级单位编码", "上级代码"),
    "households": ("户数",),
    "population": ("人口", "人口数"),
    "is_fringe": ("城乡结合部", "是否城乡结合部"),
    "address": ("地址",),
}
REQUIRED = ("code", "name", "kind", "parent")
TEXT_COLUMNS = {"name", "address"}  # kept as typed (Chinese punctuation), only spaces trimmed
KIND_BY_LABEL = {label: value for value, label in UnitKind.choices} | {v: v for v in UnitKind.values}
YES = {"是", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "n", "no", "false", "0", "×", "✗", ""}


class UnitImportError(ValueError):
    """The file was refused; `errors` lists (row, message) and nothing was written."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        super().__init__("\n".join(f"第 {row} 行：{msg}" if row else msg for row, msg in errors))

    @property
    def user_message(self) -> str:
        return str(self)


@dataclass
class UnitRow:
    row: int
    code: str
    name: str
    kind: str
    parent: str
    households: int | None = None
    population: int | None = None
    is_fringe: bool = False
    address: str = ""


@dataclass
class UnitImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "created_codes": self.created,
            "updated_codes": self.updated,
        }

    def summary(self) -> str:
        return (
            f"新增 {len(self.created)} 个，更新 {len(self.updated)} 个，未变 {len(self.unchanged)} 个单位。"
        )


def parse(rows: Iterable[list[Any]]) -> tuple[list[UnitRow], list[tuple[int, str]]]:
    """Find the header, map the columns, and check every row on its own."""
    errors: list[tuple[int, str]] = []
    columns: dict[str, int] | None = None
    parsed: list[UnitRow] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows, start=1):
        if columns is None:
            headers = [normalise_header(c) for c in cells]
            found = {
                key: headers.index(a) for key, aliases in COLUMNS.items() for a in aliases if a in headers
            }
            if all(k in found for k in REQUIRED):
                columns = found
            continue
        values = {
            key: clean_text(cells[i], fold=key not in TEXT_COLUMNS) if i < len(cells) else ""
            for key, i in columns.items()
        }
        if not any(values.values()):
            continue
        row_errors: list[str] = []
        code, name = values["code"], values["name"]
        if not code:
            row_errors.append("编码不能为空")
        else:
            try:
                UNIT_CODE_VALIDATOR(code)
            except ValidationError:
                row_errors.append(f"编码“{code}”只能由字母、数字、点、下划线和连字符组成")
            if code in seen:
                row_errors.append(f"编码“{code}”与第 {seen[code]} 行重复")
            else:
                seen[code] = number
        if not name:
            row_errors.append("名称不能为空")
        kind = KIND_BY_LABEL.get(values["kind"])
        if kind is None:
            allowed = "、".join(label for _, label in UnitKind.choices)
            row_errors.append(f"类型“{values['kind']}”无效，应为：{allowed}")
        numbers: dict[str, int | None] = {}
        for key, label in (("households", "户数"), ("population", "人口")):
            raw = values.get(key, "").replace(",", "")
            if not raw:
                numbers[key] = None
            elif raw.isdigit():
                numbers[key] = int(raw)
            else:
                row_errors.append(f"{label}“{raw}”不是非负整数")
        fringe_raw = values.get("is_fringe", "").lower()
        if fringe_raw not in YES | NO:
            row_errors.append(f"城乡结合部“{values['is_fringe']}”应为 是/否")
        if row_errors:
            errors.extend((number, msg) for msg in row_errors)
            continue
        parsed.append(
            UnitRow(
                row=number,
                code=code,
                name=name[:100],
                kind=kind or "",
                parent=values["parent"],
                households=numbers["households"],
                population=numbers["population"],
                is_fringe=fringe_raw in YES,
                address=values.get("address", "")[:200],
            )
        )
    if columns is None:
        errors.append((0, "找不到表头：须包含“编码”“名称”“类型”“上级编码”四列"))
    return parsed, errors


def plan(rows: list[UnitRow]) -> tuple[list[UnitRow], list[tuple[int, str]]]:
    """Check parents and cycles against the file and the database together; order rows parents-first."""
    errors: list[tuple[int, str]] = []
    existing_parent = dict(Unit.objects.values_list("code", "parent__code"))
    parent_of: dict[str, str | None] = dict(existing_parent)
    by_code = {r.code: r for r in rows}
    for r in rows:
        parent_of[r.code] = r.parent or None
    for r in rows:
        if r.parent and r.parent not in parent_of:
            errors.append((r.row, f"上级编码“{r.parent}”不存在（文件和系统中都没有这个单位）"))
    if errors:
        return [], errors
    # Cycle check: walk up from every row of the file.
    depth: dict[str, int] = {}
    for r in rows:
        chain = [r.code]
        code = parent_of.get(r.code)
        while code is not None and code not in depth:
            if code in chain:
                loop = " → ".join([*chain[chain.index(code) :], code])
                errors.append((r.row, f"上级关系形成循环（{loop}）"))
                break
            chain.append(code)
            code = parent_of.get(code)
        else:
            base = depth[code] + 1 if code is not None else 0
            for offset, c in enumerate(reversed(chain)):
                depth[c] = base + offset
    if errors:
        return [], errors
    return sorted(by_code.values(), key=lambda r: depth[r.code]), []


def import_units(
    source: str | IO[bytes], filename: str | None = None, dry_run: bool = False
) -> UnitImportResult:
    """Create or update the units of a file. Refuses the whole file (UnitImportError) on any bad row."""
    rows, errors = parse(read_rows(source, filename))
    if not errors:
        rows, errors = plan(rows)
    if errors:
        raise UnitImportError(errors)
    result = UnitImportResult()
    with transaction.atomic():
        current = {u.code: u for u in Unit.objects.select_related("parent")}
        for r in rows:
            unit = current.get(r.code)
            wanted = {
                "name": r.name,
                "kind": r.kind,
                "households": r.households,
                "population": r.population,
                "is_fringe": r.is_fringe,
                "address": r.address,
            }
            parent_code = unit.parent.code if unit is not None and unit.parent is not None else None
            if (
                unit is not None
                and parent_code == (r.parent or None)
                and all(getattr(unit, k) == v for k, v in wanted.items())
            ):
                result.unchanged.append(r.code)
                continue
            parent = Unit.objects.get(code=r.parent) if r.parent else None
            if unit is None:
                unit = Unit(code=r.code, parent=parent, **wanted)
                result.created.append(r.code)
            else:
                unit = Unit.objects.get(pk=unit.pk)  # fresh: an earlier row may have moved its subtree
                unit.parent = parent
                for key, value in wanted.items():
                    setattr(unit, key, value)
                result.updated.append(r.code)
            unit.save()
        if dry_run:
            transaction.set_rollback(True)
    return result
