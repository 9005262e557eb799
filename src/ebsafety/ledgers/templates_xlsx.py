"""Downloadable ledger templates, generated from the column specs (header, drop-downs, instructions)."""

from __future__ import annotations

import io

import xlsxwriter

from ebsafety.ledgers.normalise import boolean
from ebsafety.ledgers.specs import spec_for


def template(kind: str) -> bytes:
    spec = spec_for(kind)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer)
    sheet = workbook.add_worksheet(spec.label[:31])
    lists = workbook.add_worksheet("取值")
    rules = workbook.add_worksheet("填表说明")
    title = workbook.add_format({"bold": True, "font_size": 14})
    header = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True})
    required = workbook.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1, "text_wrap": True})
    text_format = workbook.add_format({"num_format": "@"})
    sheet.merge_range(0, 0, 0, len(spec.columns) - 1, spec.title, title)
    for c, column in enumerate(spec.columns):
        sheet.write_string(1, c, column.header, required if column.required else header)
        sheet.set_column(c, c, column.width, text_format)
        if column.rule:
            sheet.write_comment(1, c, column.rule, {"x_scale": 2})
        if column.enumeration is not None and not column.many:
            labels = list(column.enumeration.labels.values())
            lists.write_string(0, c, column.header)
            for r, label in enumerate(labels, start=1):
                lists.write_string(r, c, label)
            col_letter = xlsxwriter.utility.xl_col_to_name(c)
            sheet.data_validation(
                2,
                c,
                10001,
                c,
                {
                    "validate": "list",
                    "source": f"='取值'!${col_letter}$2:${col_letter}${len(labels) + 1}",
                    "error_title": "取值无效",
                    "error_message": "请从下拉列表中选择：" + "、".join(labels),
                },
            )
        if column.parse is boolean:
            sheet.data_validation(2, c, 10001, c, {"validate": "list", "source": ["是", "否"]})
    sheet.freeze_panes(2, 0)
    lists.hide()
    rules.set_column(0, 0, 24)
    rules.set_column(1, 1, 90)
    rules.write_string(0, 0, f"{spec.title}填表说明", title)
    row = 2
    for note in spec.notes:
        rules.write_string(row, 0, "说明")
        rules.write_string(row, 1, note)
        row += 1
    row += 1
    rules.write_string(row, 0, "列名", header)
    rules.write_string(row, 1, "规则（可用的其他列名）", header)
    for column in spec.columns:
        row += 1
        aliases = f"（也可写作：{'、'.join(column.aliases)}）" if column.aliases else ""
        must = "必填。" if column.required else ""
        rules.write_string(row, 0, column.header)
        rules.write_string(row, 1, f"{must}{column.rule}{aliases}")
    workbook.close()
    return buffer.getvalue()
