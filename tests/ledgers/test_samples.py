"""Each shared sample ledger gives exactly its .expected.json outcome through the CLI."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from ebsafety.ledgers.models import EBike

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
CASES = sorted(p for p in SAMPLES.glob("*.expected.json")) if SAMPLES.exists() else []


def run_cli(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("ledger", "import", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.skipif(not CASES, reason="../shared/samples is not beside the checkout")
@pytest.mark.parametrize("expected_path", CASES, ids=lambda p: p.name)
def test_sample_gives_its_expected_outcome(expected_path: Path, town: dict) -> None:
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    sample = expected_path.with_name(expected["file"])
    result = run_cli("--kind", expected["kind"], "--unit", town["a"].code, str(sample))
    assert result["rows"] == expected["rows"]
    assert result["accepted"] == expected["accepted"]
    assert result["rejected"] == expected["rejected"]
    assert {str(e["row"]) for e in result["errors"]} == set(expected["rejected_rows"])
    for error in result["errors"]:
        assert error["column"] and error["message"]
    assert result["committed"] is True
    assert result["added"] == expected["accepted"]
    assert EBike.objects.filter(unit=town["a"]).count() == expected["accepted"]
    # submitting the same file again changes nothing
    again = run_cli("--kind", expected["kind"], "--unit", town["a"].code, str(sample))
    assert (again["added"], again["changed"], again["unchanged"]) == (0, 0, expected["accepted"])


@pytest.mark.skipif(not CASES, reason="../shared/samples is not beside the checkout")
def test_sample_warnings_are_reported_not_rejected(town: dict) -> None:
    result = run_cli(
        "--kind", "ebike", "--unit", town["a"].code, "--dry-run", str(SAMPLES / "village_ebikes.xlsx")
    )
    messages = [w["message"] for w in result["warning_list"]]
    assert any("超过 48V" in m for m in messages)
    assert any("临时标识" in m for m in messages)
    assert any("不在" in m and "小区" in m for m in messages)
    assert result["committed"] is False and not EBike.objects.exists()
    # a bike declared compliant with a 60 V battery is stored as non-compliant with the reason
    run_cli("--kind", "ebike", "--unit", town["a"].code, str(SAMPLES / "village_ebikes.xlsx"))
    over = EBike.objects.filter(battery_voltage__gt=48, declared_compliant=True).first()
    assert over is not None and over.is_compliant is False and "超过 48V" in over.compliance_reason
