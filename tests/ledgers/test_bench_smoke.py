"""The import benchmark on ~2,000 rows, so it cannot rot, and the column-wise e-bike engine checked
against the row-wise one on generated ledgers, edge cases and the shared samples: the same rows, errors,
warnings and rejected cells, in the same order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bench.imports import UNIT_CODE, child_export, child_import, create_units
from bench.ledgers import write_ledger

from ebsafety.core.models import Unit
from ebsafety.ledgers.handlers import EBikeHandler
from ebsafety.ledgers.importer import ImportOutcome, _plan_columnwise, _plan_rowwise
from ebsafety.ledgers.reader import SourceFile
from ebsafety.ledgers.specs import EBIKE

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"


@pytest.fixture
def bench_unit(db: Any) -> Unit:
    create_units()
    return Unit.objects.get(code=UNIT_CODE)


def plan(planner: Any, unit: Unit, path: Path) -> ImportOutcome:
    outcome = ImportOutcome(kind="ebike", unit_code=unit.code, mode="full")
    handler = EBikeHandler(EBIKE, unit, "full")
    planner(handler, SourceFile(path, path.name), outcome, "full", lambda *a, **k: None).close()
    return outcome


def same_outcome(unit: Unit, path: Path) -> ImportOutcome:
    rowwise, columnwise = plan(_plan_rowwise, unit, path), plan(_plan_columnwise, unit, path)
    for name in (
        "rows",
        "accepted",
        "rejected",
        "added",
        "changed",
        "unchanged",
        "header_row",
        "header_cells",
    ):
        assert getattr(columnwise, name) == getattr(rowwise, name), name
    assert [e.as_dict() for e in columnwise.errors] == [e.as_dict() for e in rowwise.errors]
    assert [w.as_dict() for w in columnwise.warning_list] == [w.as_dict() for w in rowwise.warning_list]
    assert [(p.row, p.raw, p.bad_columns) for p in columnwise.rejected_rows] == [
        (p.row, p.raw, p.bad_columns) for p in rowwise.rejected_rows
    ]
    return columnwise


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_generated_ledger_checks_the_same_both_ways(bench_unit: Unit, tmp_path: Path, fmt: str) -> None:
    outcome = same_outcome(bench_unit, write_ledger(tmp_path / f"bikes.{fmt}", 2000, seed=7))
    assert outcome.rows == 2000 and 0 < outcome.rejected < 60 and outcome.warning_list


@pytest.mark.skipif(not SAMPLES.exists(), reason="../shared/samples is not beside the checkout")
@pytest.mark.parametrize("name", ["village_ebikes.xlsx", "community_ebikes_gb18030.csv"])
def test_samples_check_the_same_both_ways(bench_unit: Unit, name: str) -> None:
    assert same_outcome(bench_unit, SAMPLES / name).rejected == 19


def test_csv_edge_cases_check_the_same_both_ways(bench_unit: Unit, tmp_path: Path) -> None:
    lines = [
        "标题：台账,,",
        "车主姓名,身份证号,手机号,号牌类型,车架号,电池类型,小区名称,备注",
        "王五,,13900000001,白牌,f1,锂电池,金桥家园,",
        "",
        "李四,,139 0000 0002,黄牌,F2 ,铅酸,不存在小区,备注：审核人：某",
        "赵六,,１３９００００００３,无,F1,锂,,短行",
        "钱七,110115198503140011,,临时,F3",
        "孙八,11011519850314001x,,正式,Ｆ4,锂电池,,,,多余的格",
        "周九, ,  ,正式,F5,锂电池",
        "合计：5辆",
        "填表人：张三,,,,审核人：李四",
    ]
    path = tmp_path / "edge.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    outcome = same_outcome(bench_unit, path)
    assert outcome.rows == 6  # blank, "备注：审核人：…", 合计 and 填表人 rows are not data


def test_spreadsheet_cells_of_every_type_check_the_same_both_ways(bench_unit: Unit, tmp_path: Path) -> None:
    import datetime

    import xlsxwriter

    from tests.ledgers.builders import HEADER, bike_row

    rows = [
        bike_row(1, 小区名称="金桥家园"),
        bike_row(2, 小区名称="", 手机号=13900000002.0, 电池数量=2.0),
        bike_row(3, 小区名称="", 身份证号=1.10115198503140011e17, 登记日期=datetime.date(2026, 10, 3)),
        bike_row(4, 备注=datetime.date(2026, 1, 2), 是否超标=True, 电池数量=2.5, 车架号=12345.0),
        bike_row(5, 手机号=1e-7, 车主姓名=3.25, 登记日期=45000.0, 品牌=False),
        bike_row(6, 登记日期=100.0, 号牌类型=1.0, 车牌号=datetime.datetime(2026, 1, 2, 3, 4, 5)),
        bike_row(7, 车架号="FRAME0000001", 楼栋单元=True, 电池电压="60V"),
        bike_row(8, 手机号=12000000000.0, 电池电压=48.0, 电池数量=1.0),  # a number column: the Float64 path
        bike_row(9, 手机号=13900000002.5, 电池电压=72.5, 电池数量=-1.0),
        bike_row(10, 手机号=19999999999.0, 电池电压=0.0, 电池数量=3.0),
    ]
    path = tmp_path / "typed.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADER)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, datetime.date):
                sheet.write_datetime(r, c, value, dates)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            elif value:
                sheet.write_string(r, c, value)
    sheet.merge_range(1, 1, 3, 1, "金桥家园")
    workbook.close()
    assert same_outcome(bench_unit, path).rows == 10


def test_benchmark_children_run(bench_unit: Unit, tmp_path: Path, monkeypatch: Any) -> None:
    from bench.iexport import import_with_django_import_export

    result = child_import(write_ledger(tmp_path / "bikes.csv", 1500))
    assert result["committed"] and result["added"] == result["accepted"] > 1400
    assert set(result["phases_s"]) >= {"read_s", "check_s", "match_s", "write_s"}
    monkeypatch.setenv("EBSAFETY_VAR_DIR", str(tmp_path))
    exported = child_export()
    assert exported["rows"] == result["added"] and exported["xlsx_mb"] > 0
    theirs = import_with_django_import_export(write_ledger(tmp_path / "small.xlsx", 200, seed=3))
    assert theirs["added"] - result["added"] > 190


@pytest.mark.parametrize("masked", [True, False])
def test_ebike_export_is_the_same_by_columns(bench_unit: Unit, tmp_path: Path, masked: bool) -> None:
    """The column-wise e-bike export gives the rows the per-record export gives, in CSV and in XLSX."""
    from python_calamine import CalamineWorkbook

    from ebsafety.core import exports
    from ebsafety.ledgers.exporting import _rows, base_queryset, export_rows

    child_import(write_ledger(tmp_path / "bikes.csv", 300, seed=5))
    EBike = base_queryset("ebike").model
    bike = EBike.objects.order_by("pk").first()
    bike.remark, bike.brand = "=HYPERLINK(1)", "-2"
    bike.save()
    fast = export_rows("ebike", base_queryset("ebike"), masked=masked)
    slow = list(_rows("ebike", base_queryset("ebike"), masked=masked))
    assert list(fast) == slow and len(slow) > 290
    assert exports.write_csv(fast) == exports.write_csv(slow)
    sheets = []
    for rows in (fast, iter(slow)):
        path = tmp_path / "export.xlsx"
        path.write_bytes(exports.write_xlsx(rows, "电动自行车"))
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("电动自行车")
        sheets.append(sheet.to_python())
    assert sheets[0] == sheets[1]
    assert sheets[0][1][sheets[0][0].index("备注")] == "'=HYPERLINK(1)"


def test_xlsx_from_frames_writes_categorical_columns_as_text(tmp_path: Path) -> None:
    """rustpy-xlsxwriter 0.8 writes a dictionary-encoded column as blank cells; the writer casts it first."""
    import polars as pl
    from python_calamine import CalamineWorkbook

    from ebsafety.core.exports import write_xlsx_frames

    frame = pl.DataFrame({"类型": ["锂离子", "=cmd", None], "数量": [1, None, 3]})
    frame = frame.with_columns(pl.col("类型").cast(pl.Categorical))
    path = tmp_path / "cat.xlsx"
    path.write_bytes(write_xlsx_frames(["类型", "数量"], [frame], "导出"))
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("导出").to_python()
    assert rows == [["类型", "数量"], ["锂离子", 1.0], ["'=cmd", ""], ["", 3.0]]
