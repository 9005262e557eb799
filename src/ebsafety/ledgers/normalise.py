"""Normalisers and validators for ledger cells: one function per kind of value.

Each takes the raw cell (str, int, float, date, None) and returns the clean value, or raises `CellError`
with a Chinese message that names the rule. They are pure and fast (the importer calls them per cell on
million-row files) and property-tested with hypothesis.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from stdnum.cn import ric, uscc

EXCEL_EPOCH = datetime.date(1899, 12, 30)
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
ID_RE = re.compile(r"^\d{17}[\dX]$")
PHONE_NOISE_RE = re.compile(r"[\s\-－—()（）]")
DATE_SPLIT_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)
COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
NUMBER_RE = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
YES = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "✔", "对", "有"})
NO = frozenset({"否", "n", "no", "false", "0", "×", "✗", "✘", "x", "不是", "无"})


class CellError(ValueError):
    """A cell that breaks a rule; the message is shown to the clerk."""


def fold(value: Any) -> str:
    """A cell as half-width text without surrounding or doubled spaces (full-width digits become ASCII)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


def text(value: Any) -> str:
    """Free text (names, addresses): spaces trimmed and collapsed; Chinese punctuation kept."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).replace("\u3000", " ").split())


def code(value: Any) -> str:
    """Frame, motor and plate numbers: half-width, no spaces, upper case."""
    return "".join(fold(value).split()).upper()


def id_number(value: Any) -> str:
    """A resident ID (GB 11643): 18 characters, valid birth date, valid check digit.

    The area code is not checked against today's list: codes were given when IDs were issued and districts
    have since been renamed (110224 Daxing County became 110115): a real person's ID may carry a retired code.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        if value >= 1e17:
            raise CellError("身份证号被保存成了数字，末尾几位已被 Excel 改写，请把该列设为“文本”后重新填写")
        value = int(value)
    number = code(value)
    if len(number) != 18:
        raise CellError(f"身份证号应为 18 位（现为 {len(number)} 位）")
    if not ID_RE.match(number):
        raise CellError("身份证号前 17 位应为数字，最后一位为数字或 X")
    try:
        birth = ric.get_birth_date(number)
    except ric.ValidationError as exc:
        raise CellError("身份证号中的出生日期不存在") from exc
    if birth > datetime.date.today() or birth.year < 1890:
        raise CellError("身份证号中的出生日期不合理")
    if ric.calc_check_digit(number) != number[-1]:
        raise CellError("身份证号校验位错误（GB 11643），请核对")
    return number


def mobile(value: Any) -> str:
    """A mainland mobile number: 11 digits 1[3-9]…; spaces, dashes and a +86 prefix are tolerated."""
    if value is None or value == "":
        return ""
    number = PHONE_NOISE_RE.sub("", fold(value))
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("86") and len(number) == 13:
        number = number[2:]
    if not MOBILE_RE.match(number):
        digits = sum(c.isdigit() for c in number)
        raise CellError(f"手机号应为 1 开头的 11 位数字（现为 {digits} 位：{number}）")
    return number


def integer(
    value: Any, minimum: int = 0, maximum: int = 10**9, unit_suffixes: tuple[str, ...] = ()
) -> int | None:
    """A whole number; '１', '2.0' and (with `unit_suffixes`) '48V' are taken."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CellError("应为数字")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"应为整数（现为 {value}）")
        number = int(value)
    else:
        raw = fold(value)
        for suffix in unit_suffixes:
            if raw.lower().endswith(suffix.lower()):
                raw = raw[: -len(suffix)].strip()
                break
        if not NUMBER_RE.match(raw):
            raise CellError(f"“{fold(value)}”不是数字")
        as_float = float(raw)
        if not as_float.is_integer():
            raise CellError(f"应为整数（现为 {raw}）")
        number = int(as_float)
    if not minimum <= number <= maximum:
        raise CellError(f"应在 {minimum}–{maximum} 之间（现为 {number}）")
    return number


def date(value: Any, allow_future: bool = False, today: datetime.date | None = None) -> datetime.date | None:
    """A date written any of the ways clerks write it, or an Excel serial number; never in the future."""
    if value is None or value == "":
        return None
    today = today or datetime.date.today()
    if isinstance(value, datetime.datetime):
        result = value.date()
    elif isinstance(value, datetime.date):
        result = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not 1 <= value < 2958466:
            raise CellError(f"“{value}”不是有效日期")
        result = EXCEL_EPOCH + datetime.timedelta(days=int(value))
    else:
        raw = fold(value)
        match = DATE_SPLIT_RE.match(raw) or COMPACT_DATE_RE.match(raw)
        if match is None:
            if NUMBER_RE.match(raw) and 20000 <= float(raw) < 80000:
                result = EXCEL_EPOCH + datetime.timedelta(days=int(float(raw)))
            else:
                raise CellError(f"“{raw}”不是可识别的日期（例：2026-11-03、2026/11/3、2026年11月3日）")
        else:
            year, month, day = (int(part) for part in match.groups())
            try:
                result = datetime.date(year, month, day)
            except ValueError as exc:
                raise CellError(f"日期“{raw}”不存在") from exc
    if result.year < 1990:
        raise CellError(f"日期 {result.isoformat()} 过早，请核对")
    if not allow_future and result > today:
        raise CellError(f"日期 {result.isoformat()} 在今天之后")
    return result


def boolean(value: Any) -> bool | None:
    """是/否, Y/N, √/×, yes/no, 1/0 (blank is unknown)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    raw = fold(value).lower()
    if raw in YES:
        return True
    if raw in NO:
        return False
    raise CellError(f"“{fold(value)}”应为 是/否")


def choice(value: Any, aliases: Mapping[str, str], labels: Mapping[str, str]) -> str:
    """An enumeration value from any of its spellings; the message lists the allowed ones."""
    raw = fold(value)
    key = raw.replace(" ", "").lower()
    try:
        return aliases[key]
    except KeyError:
        allowed = "、".join(labels.values())
        raise CellError(f"“{raw}”不是允许的取值（应为：{allowed}）") from None


def credit_code(value: Any) -> str:
    """A unified social credit code (GB 32100): 18 characters with a valid check character."""
    if value is None or value == "":
        return ""
    number = code(value)
    try:
        return uscc.validate(number)
    except uscc.InvalidLength as exc:
        raise CellError(f"统一社会信用代码应为 18 位（现为 {len(number)} 位）") from exc
    except uscc.ValidationError as exc:
        raise CellError("统一社会信用代码校验位错误（GB 32100），请核对") from exc


LANDLINE_RE = re.compile(r"^0\d{2,3}\d{7,8}(?:\d{1,5})?$|^\d{7,8}$|^400\d{7}$")


def phone(value: Any) -> str:
    """A business contact number: a mobile number, or a landline such as 010-12345678 or 400 numbers."""
    if value is None or value == "":
        return ""
    number = PHONE_NOISE_RE.sub("", fold(value))
    if number.startswith("+86"):
        number = number[3:]
    if MOBILE_RE.match(number) or LANDLINE_RE.match(number):
        return number
    raise CellError(f"联系电话“{fold(value)}”不是有效的手机号或固定电话")


def choices_list(value: Any, aliases: Mapping[str, str], labels: Mapping[str, str]) -> list[str]:
    """Several enumeration values in one cell, separated by 、 , ， / ; or spaces."""
    raw = fold(value)
    if not raw:
        return []
    parts = [p for p in re.split(r"[、,，/;；\s]+", raw) if p]
    result: list[str] = []
    for part in parts:
        item = choice(part, aliases, labels)
        if item not in result:
            result.append(item)
    return result
