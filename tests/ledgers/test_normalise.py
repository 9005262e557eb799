"""Property tests of every normaliser and validator."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from ebsafety.ledgers import normalise as n
from ebsafety.ledgers.specs import BATTERY_KINDS, PLATE_KINDS

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from(["110115", "110224", "130425", "410523", "372925"]))
    birth = draw(st.dates(min_value=datetime.date(1920, 1, 1), max_value=datetime.date(2012, 12, 31)))
    serial = draw(st.integers(0, 999))
    body = f"{area}{birth:%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


@given(resident_ids(), st.sampled_from(["", " ", "\u3000"]), st.booleans(), st.booleans())
def test_valid_ids_are_accepted_in_any_spelling(number: str, pad: str, lower: bool, full_width: bool) -> None:
    spelled = number.lower() if lower else number
    if full_width:
        spelled = spelled.upper().translate(FULL_WIDTH)
    assert n.id_number(f"{pad}{spelled}{pad}") == number


@given(resident_ids(), st.integers(0, 16), st.integers(1, 9))
def test_a_changed_digit_fails_the_check(number: str, position: int, delta: int) -> None:
    digits = list(number)
    digits[position] = str((int(digits[position]) + delta) % 10)
    changed = "".join(digits)
    # a single changed digit breaks either the birth date or the GB 11643 check digit
    with pytest.raises(n.CellError):
        n.id_number(changed)


@given(st.integers(10**16, 10**18 - 1).map(float))
def test_ids_rounded_by_excel_are_explained(value: float) -> None:
    if value >= 1e17:
        with pytest.raises(n.CellError, match="文本"):
            n.id_number(value)


@given(st.sampled_from("3456789"), st.integers(0, 10**9 - 1), st.sampled_from(["", " ", "-"]), st.booleans())
def test_mobile_numbers(second: str, rest: int, sep: str, prefix: bool) -> None:
    number = f"1{second}{rest:09d}"
    spelled = f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"
    if prefix:
        spelled = "+86 " + spelled
    assert n.mobile(spelled) == number
    assert n.mobile(int(number)) == number
    assert n.mobile(float(number)) == number


@given(
    st.text(alphabet="0123456789", min_size=1, max_size=15).filter(
        lambda s: not (len(s) == 11 and s[0] == "1" and s[1] in "3456789")
    )
)
def test_non_mobile_numbers_are_refused(text: str) -> None:
    with pytest.raises(n.CellError):
        n.mobile(text)


@given(st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2026, 11, 1)))
def test_every_date_spelling(day: datetime.date) -> None:
    today = datetime.date(2026, 11, 30)
    spellings = [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month}.{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day:%Y%m%d}",
        (day - datetime.date(1899, 12, 30)).days,
        datetime.datetime.combine(day, datetime.time(0, 0)),
        f"{day.isoformat()} 00:00:00",
    ]
    for spelling in spellings:
        assert n.date(spelling, today=today) == day, spelling


@given(st.dates(min_value=datetime.date(2026, 12, 1), max_value=datetime.date(2100, 1, 1)))
def test_future_dates_are_refused(day: datetime.date) -> None:
    with pytest.raises(n.CellError, match="之后"):
        n.date(day.isoformat(), today=datetime.date(2026, 11, 30))


@pytest.mark.parametrize("text", ["2026-02-30", "2026/13/01", "明天", "2026.4"])
def test_impossible_dates_are_refused(text: str) -> None:
    with pytest.raises(n.CellError):
        n.date(text, today=datetime.date(2026, 11, 30))


@given(st.sampled_from(["是", "Y", "y", "yes", "√", "✓", "1", "TRUE"]), st.sampled_from(["", " "]))
def test_yes(word: str, pad: str) -> None:
    assert n.boolean(f"{pad}{word}{pad}") is True


@given(st.sampled_from(["否", "N", "n", "no", "×", "0", "FALSE"]))
def test_no(word: str) -> None:
    assert n.boolean(word) is False


@given(st.text(min_size=1).filter(lambda s: s.strip() and s.strip().lower() not in n.YES | n.NO))
def test_other_words_are_not_booleans(word: str) -> None:
    if n.fold(word).lower() in n.YES | n.NO:
        return
    with pytest.raises(n.CellError):
        n.boolean(word)


@given(st.integers(0, 20), st.sampled_from(["{}", "{}.0", " {} ", "{}V", "{}伏"]))
def test_integers(value: int, shape: str) -> None:
    assert n.integer(shape.format(value), unit_suffixes=("V", "伏")) == value


@given(st.text(min_size=1).filter(lambda s: not s.strip().lstrip("+-").replace(".", "", 1).isdigit()))
def test_non_numbers_are_refused(text: str) -> None:
    if not n.fold(text):
        return
    with pytest.raises(n.CellError):
        n.integer(text)


@pytest.mark.parametrize(
    ("enumeration", "spelling", "value"),
    [
        (PLATE_KINDS, "白牌", "formal"),
        (PLATE_KINDS, "黄牌", "temporary"),
        (PLATE_KINDS, "无", "none"),
        (PLATE_KINDS, " 正式号牌 ", "formal"),
        (BATTERY_KINDS, "锂电池", "lithium"),
        (BATTERY_KINDS, "铅酸", "lead_acid"),
        (BATTERY_KINDS, "lithium", "lithium"),
    ],
)
def test_enumeration_aliases(enumeration: object, spelling: str, value: str) -> None:
    assert enumeration.parse(spelling) == value  # type: ignore[attr-defined]


def test_unknown_enumeration_lists_the_allowed_values() -> None:
    with pytest.raises(n.CellError) as excinfo:
        PLATE_KINDS.parse("蓝牌")
    assert "正式号牌" in str(excinfo.value) and "无牌" in str(excinfo.value)


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17))
def test_credit_codes(body: str) -> None:
    try:
        check = uscc.calc_check_digit(body)
    except Exception:  # not every body is a valid prefix
        return
    code = body + check
    try:
        expected = uscc.validate(code)
    except uscc.ValidationError:
        with pytest.raises(n.CellError):
            n.credit_code(code)
        return
    assert n.credit_code(code.lower()) == expected


@given(st.text())
def test_fold_and_text_never_crash_and_trim(value: str) -> None:
    for result in (n.fold(value), n.text(value), n.code(value)):
        assert result == result.strip()
        assert "  " not in result


@given(st.integers(13_000_000_000, 19_999_999_999))
def test_a_mobile_saved_as_a_number_is_its_digits(number: int) -> None:
    """The column engine's shortcut for numeric mobile cells (`frames.check_column`) relies on this."""
    assert n.mobile(float(number)) == str(number)
