"""The import engine on files harder than the samples: matching, modes, conflicts, bad files, the report."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ebsafety.core.models import ChangeRecord
from ebsafety.ledgers.choices import ImportMode, RecordStatus
from ebsafety.ledgers.importer import ImportRefused, run_import
from ebsafety.ledgers.models import EBike, ImportBatch, Person
from ebsafety.ledgers.reader import UnreadableFile
from ebsafety.ledgers.report import error_report_of
from tests.ledgers.builders import HEADER, bike_row, make_id, write_csv, write_xlsx


def run(town: dict, path: Path, unit: str = "a", **kwargs: Any) -> Any:
    kwargs.setdefault("commit", True)
    return run_import(kind="ebike", unit=town[unit], path=path, **kwargs)


def test_merged_compound_block_applies_to_every_row(town: dict, tmp_path: Path) -> None:
    rows = [bike_row(i, 小区名称="甲一小区" if i == 1 else "") for i in range(1, 5)]
    outcome = run(town, write_xlsx(tmp_path / "m.xlsx", rows, merge_compound=(0, 3)))
    assert outcome.rejected == 0 and outcome.added == 4
    assert set(EBike.objects.values_list("compound__code", flat=True)) == {"T-A-1"}


def test_changed_row_updates_and_unchanged_rows_stay(town: dict, tmp_path: Path) -> None:
    rows = [bike_row(i) for i in range(1, 6)]
    run(town, write_xlsx(tmp_path / "a.xlsx", rows))
    rows[2] = bike_row(3, 充电方式="飞线充电", 手机号="13900000999")
    outcome = run(town, write_xlsx(tmp_path / "b.xlsx", rows))
    assert (outcome.added, outcome.changed, outcome.unchanged) == (0, 1, 4)
    bike = EBike.objects.get(frame_number="FRAME0000003")
    assert bike.charging_method == "flying_lead"
    assert Person.objects.get(id_number=make_id(3)).phone == "13900000003"  # the person is matched by ID
    changed = outcome.changed_ids[bike.pk]
    assert changed["charging_method"] == "centralised"
    assert bike.last_batch_id == outcome.batch_id


def test_owner_change_is_detected(town: dict, tmp_path: Path) -> None:
    run(town, write_xlsx(tmp_path / "a.xlsx", [bike_row(1)]))
    outcome = run(
        town, write_xlsx(tmp_path / "b.xlsx", [bike_row(1, 车主姓名="新车主", 身份证号=make_id(77))])
    )
    assert outcome.changed == 1
    assert EBike.objects.get().owner.id_number == make_id(77)


def test_same_frame_in_another_unit_is_a_conflict(town: dict, tmp_path: Path) -> None:
    run(town, write_xlsx(tmp_path / "a.xlsx", [bike_row(1), bike_row(2)]))
    outcome = run(
        town, write_csv(tmp_path / "b.csv", [bike_row(2, 小区名称="乙一小区"), bike_row(3)]), unit="b"
    )
    assert outcome.conflict_count == 1 and outcome.added == 1
    assert "甲村" in outcome.conflicts[0]["message"]
    assert EBike.objects.get(frame_number="FRAME0000002").unit == town["a"]  # never moved


def test_full_mode_proposes_and_retires_missing_records(town: dict, tmp_path: Path) -> None:
    run(town, write_xlsx(tmp_path / "a.xlsx", [bike_row(i) for i in range(1, 6)]))
    preview = run(
        town,
        write_xlsx(tmp_path / "b.xlsx", [bike_row(i) for i in range(1, 4)]),
        commit=False,
        mode=ImportMode.FULL,
    )
    assert preview.to_retire_count == 2 and preview.retired == 0
    assert EBike.objects.filter(status=RecordStatus.ACTIVE).count() == 5
    keep = {r["id"] for r in preview.to_retire if r["key"] == "FRAME0000004"}
    outcome = run(
        town,
        write_xlsx(tmp_path / "b.xlsx", [bike_row(i) for i in range(1, 4)]),
        mode=ImportMode.FULL,
        retire_ids={r["id"] for r in preview.to_retire} - keep,
    )
    assert outcome.retired == 1
    assert EBike.objects.get(frame_number="FRAME0000005").status == RecordStatus.RETIRED
    assert EBike.objects.get(frame_number="FRAME0000004").status == RecordStatus.ACTIVE
    # incremental never retires
    again = run(town, write_xlsx(tmp_path / "c.xlsx", [bike_row(1)]))
    assert again.to_retire_count == 0 and again.retired == 0


def test_retired_bike_submitted_again_is_reactivated(town: dict, tmp_path: Path) -> None:
    run(town, write_xlsx(tmp_path / "a.xlsx", [bike_row(1), bike_row(2)]))
    run(town, write_xlsx(tmp_path / "b.xlsx", [bike_row(1)]), mode=ImportMode.FULL)
    outcome = run(town, write_xlsx(tmp_path / "c.xlsx", [bike_row(1), bike_row(2)]))
    assert outcome.changed == 1
    assert EBike.objects.get(frame_number="FRAME0000002").status == RecordStatus.ACTIVE


def test_missing_optional_column_does_not_clear_existing_values(town: dict, tmp_path: Path) -> None:
    run(town, write_xlsx(tmp_path / "a.xlsx", [bike_row(1, 备注="车棚东侧")]))
    header = [h for h in HEADER if h != "备注"]
    row = [v for h, v in zip(HEADER, bike_row(1), strict=True) if h != "备注"]
    outcome = run(town, write_xlsx(tmp_path / "b.xlsx", [row], header=header))
    assert outcome.unchanged == 1
    assert EBike.objects.get().remark == "车棚东侧"


def test_header_aliases_and_column_order(town: dict, tmp_path: Path) -> None:
    header = ["车架号码", "姓名", "证件号码", "联系方式", "牌照类型", "电瓶类型"]
    rows = [["F1", "王五", make_id(5), "139 0000 0005", "白牌", "铅酸电池"]]
    outcome = run(town, write_csv(tmp_path / "a.csv", rows, header=header, encoding="gb18030"))
    assert outcome.rejected == 0 and outcome.added == 1
    bike = EBike.objects.get()
    assert (bike.plate_kind, bike.battery_kind, bike.owner.phone) == ("formal", "lead_acid", "13900000005")


def test_numeric_cells_holding_ids_and_phones(town: dict, tmp_path: Path) -> None:
    rows = [
        bike_row(1, 手机号=13900000001.0, 身份证号=1.10115198503140011e17),
        bike_row(2, 手机号=13900000002),
    ]
    outcome = run(town, write_xlsx(tmp_path / "a.xlsx", rows))
    assert outcome.rejected == 1
    assert "文本" in outcome.errors[0].message  # the rounded ID is explained
    assert EBike.objects.get().owner.phone == "13900000002"


def test_id_with_retired_area_code_is_valid(town: dict, tmp_path: Path) -> None:
    body = "11022419750101001"  # Daxing County's 110224, retired in 2001
    from stdnum.cn import ric

    old_id = body + ric.calc_check_digit(body + "0")
    outcome = run(town, write_xlsx(tmp_path / "a.xlsx", [bike_row(1, 身份证号=old_id)]))
    assert outcome.rejected == 0


def test_lowercase_x_and_full_width_digits(town: dict, tmp_path: Path) -> None:
    body = "11010519491231002"
    from stdnum.cn import ric

    check = ric.calc_check_digit(body + "0")
    assert check == "X"
    full_width_phone = "１３９００００００４２"
    outcome = run(
        town, write_xlsx(tmp_path / "a.xlsx", [bike_row(1, 身份证号=body + "x", 手机号=full_width_phone)])
    )
    assert outcome.rejected == 0
    owner = EBike.objects.get().owner
    assert owner.id_number.endswith("X") and owner.phone == "13900000042"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "a.xlsx", "空"),
        (b"hello", "a.txt", "不支持"),
        (b"not a zip at all", "a.xlsx", "损坏"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "a.xlsx", "加密"),
        (b"just,some,columns\n1,2,3\n", "a.csv", "表头"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(
    town: dict, tmp_path: Path, content: bytes, name: str, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises((UnreadableFile, ImportRefused)) as excinfo:
        run(town, path)
    assert message in str(excinfo.value)
    assert not EBike.objects.exists() and not ImportBatch.objects.exists()


def test_header_only_file_is_refused(town: dict, tmp_path: Path) -> None:
    with pytest.raises(ImportRefused, match="没有数据行"):
        run(town, write_xlsx(tmp_path / "a.xlsx", [], footer=False))


def test_too_large_file_is_refused(town: dict, tmp_path: Path, settings: Any) -> None:
    settings.LEDGER_IMPORT_MAX_BYTES = 1000
    path = write_csv(tmp_path / "a.csv", [bike_row(i) for i in range(50)])
    with pytest.raises(UnreadableFile, match="过大"):
        run(town, path)


def test_zip_bomb_is_refused(town: dict, tmp_path: Path, settings: Any) -> None:
    settings.LEDGER_IMPORT_MAX_UNPACKED_BYTES = 10_000_000
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 20_000_000)
    with pytest.raises(UnreadableFile, match="压缩炸弹"):
        run(town, path)


def test_failure_during_write_leaves_database_as_before(town: dict, tmp_path: Path, monkeypatch: Any) -> None:
    run(town, write_xlsx(tmp_path / "a.xlsx", [bike_row(1)]))
    before = (
        EBike.objects.count(),
        Person.objects.count(),
        ImportBatch.objects.count(),
        ChangeRecord.objects.count(),
    )

    from ebsafety.ledgers import bulk

    def boom(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(bulk, "update_rows", boom)
    rows = [bike_row(1, 充电方式="入户充电"), bike_row(2), bike_row(3)]
    with pytest.raises(RuntimeError):
        run(town, write_xlsx(tmp_path / "b.xlsx", rows))
    after = (
        EBike.objects.count(),
        Person.objects.count(),
        ImportBatch.objects.count(),
        ChangeRecord.objects.count(),
    )
    assert after == before
    assert EBike.objects.get().charging_method == "centralised"


def test_a_utf8_file_with_other_bytes_further_down_is_refused_whole(
    town: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CSV whose first block is UTF-8 is read as UTF-8; a byte further down that is not (a cell pasted
    from a GB18030 file) refuses the file with a clear reason, nothing written (blocks of 64 bytes here)."""
    from ebsafety.ledgers import frames

    monkeypatch.setattr(frames, "CSV_BLOCK_BYTES", 64)
    path = write_csv(tmp_path / "a.csv", [bike_row(i) for i in range(1, 30)])
    path.write_bytes(path.read_bytes() + "三号院".encode("gb18030") + b"\n")
    with pytest.raises(UnreadableFile, match="UTF-8"):
        run(town, path)
    assert not EBike.objects.exists() and not ImportBatch.objects.exists()


def test_error_report_marks_the_bad_cells(town: dict, tmp_path: Path) -> None:
    rows = [bike_row(1), bike_row(2, 手机号="1390000", 电池数量="两块"), bike_row(3, 车架号="")]
    outcome = run(town, write_xlsx(tmp_path / "a.xlsx", rows))
    batch = ImportBatch.objects.get(pk=outcome.batch_id)
    assert not batch.error_report and batch.has_error_report  # drawn when first asked for
    sheet = load_workbook(io.BytesIO(error_report_of(batch).read())).active
    table = list(sheet.iter_rows(values_only=True))
    header = list(table[0])
    assert header[0] == "原行号" and header[-1] == "错误说明"
    assert [r[0] for r in table[1:]] == [5, 6]  # spreadsheet rows under the title and header
    bad_row = list(sheet.iter_rows(min_row=2, max_row=2))[0]
    red = {
        cell.column_letter
        for cell in bad_row
        if cell.fill and cell.fill.fgColor.rgb not in (None, "00000000")
    }
    phone_col = bad_row[header.index("手机号")].column_letter
    count_col = bad_row[header.index("电池数量")].column_letter
    assert {phone_col, count_col} <= red
    assert bad_row[header.index("车主姓名")].column_letter not in red
    assert "手机号" in table[1][-1] and "电池数量" in table[1][-1]
    assert table[2][header.index("车架号")] in ("", None) and "车架号" in table[2][-1]
    kept = ImportBatch.objects.get(pk=batch.pk).error_report  # kept: the next download reads it
    assert kept.name == batch.error_report.name and error_report_of(batch).name == kept.name


def test_a_batch_without_rejected_rows_has_no_error_report(town: dict, tmp_path: Path) -> None:
    outcome = run(town, write_csv(tmp_path / "a.csv", [bike_row(1)]))
    batch = ImportBatch.objects.get(pk=outcome.batch_id)
    assert not batch.has_error_report and error_report_of(batch) is None


def test_batch_keeps_the_original_file_and_outcome(town: dict, tmp_path: Path, personas: dict) -> None:
    import gzip
    import json

    path = write_xlsx(tmp_path / "原始台账.xlsx", [bike_row(1), bike_row(2)])
    outcome = run(town, path, user=personas["locality"])
    batch = ImportBatch.objects.get(pk=outcome.batch_id)
    assert batch.original_file.read() == path.read_bytes()
    assert batch.original_name == "原始台账.xlsx" and batch.uploaded_by == personas["locality"]
    assert batch.counts["added"] == 2 and batch.status == "committed"
    full = json.loads(gzip.decompress(batch.outcome_file.read()))  # two gzip members, one JSON object
    assert set(full) == {"errors", "warnings", "counts", "conflicts", "added", "changed", "retired"}
    assert full["counts"] == batch.counts
    assert sorted(full["added"]) == sorted(EBike.objects.values_list("id", flat=True))


def test_a_refused_import_keeps_no_copy_of_the_file(
    town: dict, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused file leaves no copy behind in the media storage, nor does one whose write fails (the copy
    is made before the write's transaction); a committed one keeps exactly one."""
    media = Path(settings.MEDIA_ROOT)

    def stored() -> list[Path]:
        return (
            [p for p in media.rglob("*") if p.is_file() and "batch-" not in p.name] if media.exists() else []
        )

    with pytest.raises(
        ImportRefused, match="没有数据行"
    ):  # refused after the check: the copy made beside it goes
        run(town, write_xlsx(tmp_path / "空.xlsx", [], footer=False))
    assert stored() == [] and not ImportBatch.objects.exists()
    path = write_csv(tmp_path / "台账.csv", [bike_row(1)])
    limit, settings.LEDGER_IMPORT_MAX_BYTES = settings.LEDGER_IMPORT_MAX_BYTES, 10
    with pytest.raises(UnreadableFile, match="文件过大"):  # refused before reading: never copied
        run(town, path)
    settings.LEDGER_IMPORT_MAX_BYTES = limit
    assert stored() == [] and not ImportBatch.objects.exists()

    def failing(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the write failed")

    with monkeypatch.context() as patch:
        patch.setattr("ebsafety.ledgers.importer.finish_batch", failing)
        with pytest.raises(RuntimeError):
            run(town, path)
    assert stored() == [] and not ImportBatch.objects.exists() and not EBike.objects.exists()
    batch = ImportBatch.objects.get(pk=run(town, path).batch_id)
    assert [p.read_bytes() for p in stored()] == [path.read_bytes()]
    assert batch.original_file.read() == path.read_bytes()


def test_an_import_leaves_no_temporary_file(town: dict, tmp_path: Path, settings: Any) -> None:
    """The batch keeps the file; the import's temporary files (checked rows, staging) are gone when it
    ends, whether it was committed or refused."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "spill")
    (tmp_path / "spill").mkdir()
    path = write_xlsx(tmp_path / "台账.xlsx", [bike_row(1)])
    submitted = path.read_bytes()
    batch = ImportBatch.objects.get(pk=run(town, path).batch_id)
    # the batch's copy (made by the kernel into a temporary upload, renamed into the storage): the
    # submitted file is left as it was, the copy has the storage's permissions
    assert batch.original_file.read() == submitted and path.read_bytes() == submitted
    assert Path(batch.original_file.path).stat().st_mode & 0o777 == settings.FILE_UPLOAD_PERMISSIONS
    assert list((tmp_path / "spill").iterdir()) == []
    empty = write_xlsx(tmp_path / "空.xlsx", [])
    with pytest.raises(ImportRefused, match="没有数据行"):
        run(town, empty)
    assert list((tmp_path / "spill").iterdir()) == []
    assert ImportBatch.objects.count() == 1


def test_template_fill_import_export_import_is_a_no_op(town: dict, tmp_path: Path) -> None:
    from io import StringIO

    from django.core.management import call_command

    template_path = tmp_path / "template.xlsx"
    call_command("ledger", "template", "--kind", "ebike", "-o", str(template_path), stdout=StringIO())
    workbook = load_workbook(template_path)
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[2]]
    for r, index in enumerate(range(1, 4), start=3):
        data = dict(zip(HEADER, bike_row(index), strict=True))
        for c, header in enumerate(headers, start=1):
            sheet.cell(row=r, column=c, value=data.get(header))
    workbook.save(template_path)
    first = run(town, template_path)
    assert (first.added, first.rejected) == (3, 0), [e.message for e in first.errors]
    export_path = tmp_path / "export.xlsx"
    call_command(
        "ledger", "export", "--kind", "ebike", "--unit", "T-A", "-o", str(export_path), stdout=StringIO()
    )
    second = run(town, export_path)
    assert (second.added, second.changed, second.unchanged, second.rejected) == (0, 0, 3, 0)


def test_template_has_dropdowns_and_instructions(tmp_path: Path) -> None:
    from ebsafety.ledgers.templates_xlsx import template

    workbook = load_workbook(io.BytesIO(template("ebike")))
    sheet = workbook.worksheets[0]
    validations = {str(v.sqref).split(":")[0][:1] for v in sheet.data_validations.dataValidation}
    assert len(validations) >= 5
    assert workbook.sheetnames[-1] == "填表说明"
    notes = " ".join(str(c.value) for row in workbook["填表说明"].iter_rows() for c in row if c.value)
    assert "GB 11643" in notes and "证件号码" in notes
