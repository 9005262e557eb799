"""`ebsafety units import`: idempotent, all-or-nothing, row numbers in every refusal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from django.core.management import call_command
from django.core.management.base import CommandError

from ebsafety.core.models import ChangeRecord, Unit
from ebsafety.core.unit_import import UnitImportError, import_units

HEADER = ["编码", "名称", "类型", "上级编码", "户数", "人口", "城乡结合部", "地址"]
ROWS = [
    ["110115101", "示范镇", "镇", "", "", "", "", ""],
    ["110115101201", "前辛庄村", "村", "110115101", "820", "2300", "是", "示范镇前辛庄村"],
    ["110115101001", "金桥社区", "社区", "110115101", "3100", "8000", "否", ""],
    ["110115101001-C01", "和谐家园", "小区", "110115101001", "1200", "", "", ""],
]


def write_xlsx(path: Path, rows: list[list[Any]], title: str | None = "单位表") -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    offset = 0
    if title:
        sheet.merge_range(0, 0, 0, 7, title)
        offset = 1
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r + offset, c, value)
    workbook.close()
    return path


def write_csv(path: Path, rows: list[list[Any]], encoding: str = "utf-8") -> Path:
    path.write_bytes("\n".join(",".join(map(str, r)) for r in rows).encode(encoding))
    return path


def units_json() -> list[dict]:
    from io import StringIO

    out = StringIO()
    call_command("units", "list", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_xlsx_with_title_row_imports_and_lists(db: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "units.xlsx", [HEADER, *ROWS])
    call_command("units", "import", str(path))
    assert units_json() == [
        {"code": "110115101", "name": "示范镇", "kind": "镇", "parent": None},
        {"code": "110115101001", "name": "金桥社区", "kind": "社区", "parent": "110115101"},
        {"code": "110115101001-C01", "name": "和谐家园", "kind": "小区", "parent": "110115101001"},
        {"code": "110115101201", "name": "前辛庄村", "kind": "村", "parent": "110115101"},
    ]
    village = Unit.objects.get(code="110115101201")
    assert (village.households, village.population, village.is_fringe) == (820, 2300, True)
    assert Unit.objects.get(code="110115101001-C01").path == "/110115101/110115101001/110115101001-C01/"


def test_importing_the_same_file_twice_changes_nothing(db: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "units.xlsx", [HEADER, *ROWS])
    first = import_units(str(path))
    assert len(first.created) == 4
    records = ChangeRecord.objects.count()
    snapshot = list(Unit.objects.order_by("code").values())
    second = import_units(str(path))
    assert (len(second.created), len(second.updated), len(second.unchanged)) == (0, 0, 4)
    assert ChangeRecord.objects.count() == records
    assert list(Unit.objects.order_by("code").values()) == snapshot


def test_changed_row_updates_the_unit_with_that_code(db: Any, tmp_path: Path) -> None:
    import_units(str(write_xlsx(tmp_path / "a.xlsx", [HEADER, *ROWS])))
    changed = [r[:] for r in ROWS]
    changed[3][1] = "和谐家园（一期）"
    changed[3][3] = "110115101201"  # the compound moves to the village
    result = import_units(str(write_xlsx(tmp_path / "b.xlsx", [HEADER, *changed])))
    assert result.updated == ["110115101001-C01"]
    compound = Unit.objects.get(code="110115101001-C01")
    assert compound.name == "和谐家园（一期）"
    assert compound.parent.code == "110115101201"
    assert compound.path == "/110115101/110115101201/110115101001-C01/"
    assert Unit.objects.count() == 4


def test_moving_a_unit_reroots_its_subtree(db: Any, tmp_path: Path) -> None:
    rows = [*ROWS, ["B1", "1号楼", "楼栋", "110115101001-C01", "", "", "", ""]]
    import_units(str(write_csv(tmp_path / "a.csv", [HEADER, *rows])))
    moved = [r[:] for r in rows]
    moved[3][3] = "110115101201"
    import_units(str(write_csv(tmp_path / "b.csv", [HEADER, *moved])))
    building = Unit.objects.get(code="B1")
    assert building.path == "/110115101/110115101201/110115101001-C01/B1/"
    assert building.depth == 3


def test_missing_parent_is_refused_with_row_number_and_nothing_written(db: Any, tmp_path: Path) -> None:
    rows = [*ROWS, ["X1", "孤儿村", "村", "NOPE", "", "", "", ""]]
    path = write_xlsx(tmp_path / "units.xlsx", [HEADER, *rows])
    with pytest.raises(CommandError) as excinfo:
        call_command("units", "import", str(path))
    # header is spreadsheet row 2 (under the title), so X1 is row 7
    assert "第 7 行" in str(excinfo.value) and "NOPE" in str(excinfo.value)
    assert Unit.objects.count() == 0
    assert ChangeRecord.objects.count() == 0


def test_cycle_is_refused_with_row_number_and_nothing_written(db: Any, tmp_path: Path) -> None:
    import_units(str(write_csv(tmp_path / "a.csv", [HEADER, *ROWS])))
    before = list(Unit.objects.order_by("code").values())
    # the town becomes a child of its own compound: town → community → compound → town
    cyclic = [r[:] for r in ROWS]
    cyclic[0][3] = "110115101001-C01"
    with pytest.raises(UnitImportError) as excinfo:
        import_units(str(write_csv(tmp_path / "b.csv", [HEADER, *cyclic])))
    assert any(row == 2 and "循环" in message for row, message in excinfo.value.errors)
    assert list(Unit.objects.order_by("code").values()) == before


def test_self_parent_is_a_cycle(db: Any, tmp_path: Path) -> None:
    with pytest.raises(UnitImportError) as excinfo:
        import_units(str(write_csv(tmp_path / "a.csv", [HEADER, ["A", "甲", "村", "A"]])))
    assert excinfo.value.errors[0][0] == 2 and "循环" in excinfo.value.errors[0][1]


def test_bad_rows_are_all_reported(db: Any, tmp_path: Path) -> None:
    rows = [
        HEADER,
        ["T", "镇", "镇", "", "", "", "", ""],
        ["A", "", "村", "T", "", "", "", ""],
        ["B", "乙", "县城", "T", "", "", "", ""],
        ["C", "丙", "村", "T", "很多", "", "", ""],
        ["C", "丙二", "村", "T", "", "", "", ""],
        ["D/1", "丁", "村", "T", "", "", "也许", ""],
    ]
    with pytest.raises(UnitImportError) as excinfo:
        import_units(str(write_csv(tmp_path / "a.csv", rows)))
    messages = dict(excinfo.value.errors)
    assert "名称" in messages[3]
    assert "县城" in messages[4] and "楼栋" in messages[4]
    assert "户数" in messages[5]
    assert "重复" in messages[6]
    assert {row for row, _ in excinfo.value.errors} >= {3, 4, 5, 6, 7}
    assert Unit.objects.count() == 0


def test_gb18030_csv_and_full_width_codes(db: Any, tmp_path: Path) -> None:
    rows = [
        HEADER,
        ["１１０", "全角镇", "镇", "", "１２", "", "否", ""],
        ["111", "甲村", "村", "110", "", "", "√", ""],
    ]
    import_units(str(write_csv(tmp_path / "gb.csv", rows, encoding="gb18030")))
    town = Unit.objects.get(code="110")
    assert town.name == "全角镇" and town.households == 12
    assert Unit.objects.get(code="111").is_fringe is True


def test_missing_header_is_refused(db: Any, tmp_path: Path) -> None:
    with pytest.raises(UnitImportError) as excinfo:
        import_units(str(write_csv(tmp_path / "a.csv", [["名字", "类别"], ["甲", "村"]])))
    assert "表头" in str(excinfo.value)


def test_unsupported_file_type(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "units.txt"
    path.write_text("x")
    with pytest.raises(CommandError, match="不支持的文件类型"):
        call_command("units", "import", str(path))


def test_dry_run_writes_nothing(db: Any, tmp_path: Path) -> None:
    call_command("units", "import", str(write_csv(tmp_path / "a.csv", [HEADER, *ROWS])), "--dry-run")
    assert Unit.objects.count() == 0


def test_units_list_is_scoped_by_user(personas: dict) -> None:
    from io import StringIO

    out = StringIO()
    call_command("units", "list", "--json", "--user", "village", stdout=out)
    assert {u["code"] for u in json.loads(out.getvalue())} == {"T-A", "T-A-1", "T-A-1-1"}


def test_only_the_office_imports_through_the_cli(personas: dict, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="整治办"):
        call_command(
            "units", "import", str(write_csv(tmp_path / "a.csv", [HEADER, *ROWS])), "--user", "village"
        )


def test_web_upload_runs_as_a_background_job(personas: dict, client_for: Any, tmp_path: Path) -> None:
    from django.urls import reverse

    from ebsafety.core.jobs import execute
    from ebsafety.core.models import Job

    client = client_for(personas["office"])
    path = write_xlsx(tmp_path / "units.xlsx", [HEADER, ["T-N", "新村", "村", "T", "", "", "", ""]])
    with path.open("rb") as handle:
        response = client.post(reverse("core:unit_import"), {"file": handle})
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.status == "queued" and not Unit.objects.filter(code="T-N").exists()
    job = execute(job)
    assert job.status == "succeeded"
    assert job.result["created"] == 1
    assert Unit.objects.get(code="T-N").parent.code == "T"
    status = client.get(reverse("core:job_status", args=[job.pk])).json()
    assert status["status"] == "succeeded" and status["progress"]["percent"] == 100
