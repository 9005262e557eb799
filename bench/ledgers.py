"""Generated e-bike ledgers for the import benchmark: the shape villages send, at any size.

`write_ledger(path, rows, seed)` writes xlsx (through the fast writer the exports use) or CSV (UTF-8 with BOM,
as Excel saves it) by the suffix: a title row and a "填报单位" line above the Chinese header of
tests/ledgers/builders.py, then one bike per row — valid resident IDs (GB 11643 check digits), mobile numbers
(some as numeric cells, some with spaces), random frame numbers, a plausible mix of plate kinds, batteries,
voltages, uses, parking and charging, dates written several ways — and a "合计" and "填表人" footer.
About 1% of the rows are bad in the ways clerks get them wrong (`BAD_KINDS`); every bike and owner is new,
so the file imports as additions into an empty database. The same seed and size give the same file.
"""

from __future__ import annotations

import csv
import datetime
import random
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stdnum.cn import ric

HEADER = [
    "序号",
    "小区名称",
    "楼栋单元",
    "车主姓名",
    "身份证号",
    "手机号",
    "号牌类型",
    "车牌号",
    "品牌",
    "型号",
    "车架号",
    "电机号",
    "电池类型",
    "电池数量",
    "电池电压(V)",
    "是否超标",
    "车辆用途",
    "停放地点",
    "充电方式",
    "登记日期",
    "备注",
]
# Compounds of the benchmark community (bench.imports creates them under it); a few rows name others.
COMPOUNDS = [
    "金桥家园",
    "和顺花园",
    "康泰嘉苑",
    "瑞和雅居",
    "福源新城",
    "嘉园名苑",
    "锦绣公寓",
    "润泽小区",
    "安居馨园",
    "惠民佳苑",
    "兴业家园",
    "长乐花园",
]
UNKNOWN_COMPOUNDS = ["城南平房区", "物流园宿舍", "旧村回迁楼"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华平刚桂建国志红霞玉兰凤梅萍鹏辉斌宇浩子轩"
AREAS = ["110115", "110115", "110115", "110224", "110105", "110106", "130425", "130623", "372925", "411528"]
BRANDS = {
    "雅迪": ("DE2", "冠能3", "G5"),
    "爱玛": ("A500", "麦", "小金豆"),
    "台铃": ("超能", "F9"),
    "新日": ("XC1", "领航"),
    "绿源": ("INNO5", "S30"),
    "小牛": ("UQi", "NQi"),
    "九号": ("C30", "A2z"),
    "立马": ("L7",),
    "小刀": ("长征",),
    "哈啰": ("B70",),
}
# (spelling, weight): plate kinds, batteries, uses, parking, charging as clerks write them
PLATES = [
    ("正式号牌", 50),
    ("白牌", 20),
    ("正式", 8),
    ("临时标识", 4),
    ("黄牌", 2),
    ("外卖专用号牌", 4),
    ("无牌", 8),
    ("无", 4),
]
BATTERIES = [("锂电池", 35), ("锂离子", 15), ("锂电", 5), ("铅酸", 25), ("铅酸电池", 20)]
VOLTAGES = [(48, 60), (60, 20), (72, 6), (36, 6), ("48V", 3), (None, 5)]
USES = [("自用", 84), ("外卖", 9), ("快递", 5), ("", 2)]
PARKING = [
    ("小区集中车棚", 45),
    ("地下车库", 15),
    ("楼前空地", 15),
    ("自家院内", 8),
    ("楼道", 5),
    ("单元门厅", 4),
    ("室内", 3),
    ("", 5),
]
CHARGING = [
    ("集中充电", 40),
    ("充电桩", 20),
    ("充电柜", 8),
    ("换电", 4),
    ("入户充电", 16),
    ("飞线充电", 7),
    ("", 5),
]
OVER = [("否", 80), ("是", 6), ("N", 3), ("×", 3), ("", 8)]
# The ways a row goes wrong (each ~0.1% of rows): the importer must reject every one of them.
BAD_KINDS = (
    "id_check_digit",
    "phone_short",
    "frame_missing",
    "owner_missing",
    "plate_unknown",
    "battery_unknown",
    "count_not_number",
    "date_future",
    "frame_duplicate",
    "no_id_no_phone",
)
BAD_RATE = 0.01
TODAY = datetime.date(2026, 11, 30)
ALNUM = string.ascii_uppercase + string.digits


def _weighted(rng: random.Random, table: list[tuple[Any, int]], size: int = 4096) -> list[Any]:
    """A pool to draw from with rng.choice: faster than rng.choices per row."""
    values = [v for v, _ in table]
    weights = [w for _, w in table]
    return rng.choices(values, weights, k=size)


def make_id(index: int, rng: random.Random) -> str:
    """A valid 18-digit resident ID, unique per index (birth date and sequence encode it)."""
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=(index // 1000) * 13 % 16000 + index % 13)
    body = f"{AREAS[index % len(AREAS)]}{birth:%Y%m%d}{index % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def bike_rows(count: int, seed: int = 1) -> Iterator[list[Any]]:
    """`count` data rows in HEADER order: typed as a clerk's Excel holds them (ints, dates, text)."""
    rng = random.Random(seed)
    names = [rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2)))) for _ in range(5000)]
    plates, batteries = _weighted(rng, PLATES), _weighted(rng, BATTERIES)
    voltages, uses = _weighted(rng, VOLTAGES), _weighted(rng, USES)
    parking, charging, over = _weighted(rng, PARKING), _weighted(rng, CHARGING), _weighted(rng, OVER)
    brands = list(BRANDS)
    frames: list[str] = []
    start = datetime.date(2026, 9, 1)
    for index in range(count):
        brand = rng.choice(brands)
        frame = f"{brand_code(brand)}{''.join(rng.choices(ALNUM, k=8))}{index:07d}"
        if len(frames) < 1000:
            frames.append(frame)
        plate = rng.choice(plates)
        if plate in ("无牌", "无"):
            plate_number = ""
        elif plate in ("临时标识", "黄牌"):
            plate_number = f"临{rng.randrange(100000, 999999)}"
        else:
            plate_number = f"京{rng.choice('ABCDEFGH')}{rng.randrange(10000, 99999)}"
        voltage = rng.choice(voltages)
        declared = rng.choice(over)
        if voltage == 72 and declared in ("否", "N", "×") and rng.random() < 0.5:
            declared = "是"  # most over-voltage bikes are declared; the rest are warnings
        phone: Any = f"1{rng.choice('3456789')}{rng.randrange(0, 10**9):09d}"
        roll = rng.random()
        if roll < 0.25:
            phone = int(phone)  # typed into Excel as a number
        elif roll < 0.28:
            phone = f"{phone[:3]} {phone[3:7]} {phone[7:]}"
        day = start + datetime.timedelta(days=index % 85)
        style = index % 10
        registered: Any = (
            day
            if style < 5
            else day.isoformat()
            if style < 7
            else f"{day.year}.{day.month}.{day.day}"
            if style < 9
            else f"{day.year}年{day.month}月{day.day}日"
        )
        compound = rng.choice(COMPOUNDS) if rng.random() > 0.02 else rng.choice(UNKNOWN_COMPOUNDS)
        row = [
            index + 1,
            compound,
            f"{rng.randrange(1, 25)}号楼{rng.randrange(1, 7)}单元",
            rng.choice(names),
            make_id(index, rng) if rng.random() > 0.03 else "",
            phone if rng.random() > 0.05 else "",
            plate,
            plate_number,
            brand,
            rng.choice(BRANDS[brand]),
            frame,
            f"{rng.choice(ALNUM)}{rng.randrange(10**9, 10**10)}",
            rng.choice(batteries),
            1 if rng.random() < 0.9 else 2,
            voltage if voltage is not None else "",
            declared,
            rng.choice(uses),
            rng.choice(parking),
            rng.choice(charging),
            registered,
            "" if rng.random() < 0.97 else rng.choice(("车棚东侧", "已签承诺书", "租户车辆", "电池已更换")),
        ]
        if not row[4] and not row[5]:
            row[5] = f"13{rng.randrange(0, 10**9):09d}"  # at least one of them, unless it is a bad row
        if rng.random() < BAD_RATE:
            spoil(row, rng.choice(BAD_KINDS), rng, frames)
        yield row


def brand_code(brand: str) -> str:
    return "ABCDEFGHJK"[list(BRANDS).index(brand)]


def spoil(row: list[Any], kind: str, rng: random.Random, frames: list[str]) -> None:
    """Make one row bad in the given way (columns by HEADER position)."""
    if kind == "id_check_digit":
        good = row[4] or make_id(rng.randrange(10**6), rng)
        row[4] = good[:-1] + ("0" if good[-1] != "0" else "1")
    elif kind == "phone_short":
        row[5] = f"139{rng.randrange(0, 10**7):07d}"
    elif kind == "frame_missing":
        row[10] = ""
    elif kind == "owner_missing":
        row[3] = ""
    elif kind == "plate_unknown":
        row[6] = rng.choice(("蓝牌", "绿牌", "外地牌"))
    elif kind == "battery_unknown":
        row[12] = rng.choice(("氢燃料", "石墨烯", "不清楚"))
    elif kind == "count_not_number":
        row[13] = rng.choice(("两块", "一块", "若干"))
    elif kind == "date_future":
        row[19] = (TODAY + datetime.timedelta(days=rng.randrange(30, 300))).isoformat()
    elif kind == "frame_duplicate" and frames:
        row[10] = rng.choice(frames)
    elif kind == "no_id_no_phone":
        row[4] = row[5] = ""


def title_rows() -> list[list[Any]]:
    blank = [""] * (len(HEADER) - 1)
    return [
        ["金桥社区电动自行车基础信息排查台账", *blank],
        ["填报单位（盖章）：金桥社区居民委员会", *[""] * 10, "截至日期：2026年11月15日", *[""] * 9],
    ]


def footer_rows(count: int) -> list[list[Any]]:
    blank = [""] * (len(HEADER) - 1)
    return [
        [f"合计：{count}辆", *blank],
        ["", *blank],
        ["填表人：张晓明", "", "", "", "", "审核人：李建国", *[""] * 15],
    ]


def write_ledger(path: Path, rows: int, seed: int = 1) -> Path:
    """Write a generated ledger of `rows` bikes to `path` (.xlsx or .csv)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerows(title_rows())
            writer.writerow(HEADER)
            for row in bike_rows(rows, seed):
                writer.writerow([v.isoformat() if isinstance(v, datetime.date) else v for v in row])
            writer.writerows(footer_rows(rows))
        return path
    from rustpy_xlsxwriter import write_worksheet

    title, filled = title_rows(), footer_rows(rows)

    def records() -> Iterator[dict[str, Any]]:
        for row in bike_rows(rows, seed):
            yield dict(zip(HEADER, row, strict=True))
        for row in filled:
            yield {h: (v if v != "" else None) for h, v in zip(HEADER, row, strict=True)}

    write_worksheet(
        records(),
        str(path),
        sheet_name="台账",
        header_row=2,
        merge_ranges=[(0, 0, 0, len(HEADER) - 1, title[0][0]), (1, 0, 1, 7, title[1][0])],
        datetime_format="yyyy-mm-dd",
        bold_headers=True,
    )
    return path


def cached_ledger(directory: Path, rows: int, fmt: str, seed: int = 1) -> Path:
    """The generated file for (rows, fmt, seed), written once and reused by later runs."""
    path = directory / f"ebikes-{rows}-s{seed}.{fmt}"
    if not path.exists():
        partial = path.with_suffix(f".partial.{fmt}")
        write_ledger(partial, rows, seed)
        partial.rename(path)
    return path
