"""Pages: the public form (no login, spam traps, photos without EXIF/GPS, prefill from a poster's QR code),
the status page, privacy of the reporter on staff pages (and the logged views), posters, the payout ledger."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from ebsafety.core.choices import ChangeAction
from ebsafety.core.models import Attachment, ChangeRecord
from ebsafety.tips import posters, ratelimit, services
from ebsafety.tips.choices import Outcome
from ebsafety.tips.models import Reward, Tip

pytestmark = pytest.mark.django_db

NAME = "王举报"
PHONE = "13700001234"


def gps_jpeg() -> bytes:
    """A JPEG carrying EXIF with a GPS position (Beijing) and a camera make."""
    image = Image.new("RGB", (64, 48), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    return data


def form_data(**extra: Any) -> dict[str, Any]:
    data = {
        "category": "corridor_parking",
        "description": "5 号楼一层楼道有电动车充电",
        "compound": "T-A-1",
        "building": "T-A-1-1",
        "address": "",
        "name": NAME,
        "phone": PHONE,
        "contact_consent": "on",
        "website": "",
        "started": ratelimit.form_token(),
    }
    data.update(extra)
    return data


def test_public_page_needs_no_login_and_says_who_sees_a_contact(client: Client, campaign: Any) -> None:
    response = client.get(reverse("tips:public_report"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "只有镇整治办指定的举报受理员" in text and "010-12345678" in text
    assert 'name="website"' in text and 'name="started"' in text


def test_a_poster_qr_code_prefills_the_compound(client: Client, campaign: Any) -> None:
    response = client.get(reverse("tips:public_report"), {"unit": "T-A-1"})
    form = response.context["form"]
    assert form.initial == {"compound": "T-A-1"}
    assert '<option value="T-A-1" selected>' in response.content.decode()
    buildings = client.get(reverse("tips:public_buildings"), {"compound": "T-A-1"})
    assert "甲一小区1号楼" in buildings.content.decode()


def test_submit_with_a_photo_stores_it_without_exif_or_gps(client: Client, campaign: Any) -> None:
    photo = SimpleUploadedFile("IMG_0001.jpg", gps_jpeg(), content_type="image/jpeg")
    response = client.post(reverse("tips:public_report"), form_data(photos=[photo]))
    assert response.status_code == 302, response.content.decode()[:2000]
    tip = Tip.objects.get()
    assert response["Location"] == reverse("tips:public_status", args=[tip.tracking_code]) + "?new=1"
    assert tip.unit.code == "T-A-1-1" and tip.reporter_phone == PHONE
    (attachment,) = Attachment.of(tip)
    with attachment.file.open("rb") as stored:
        data = stored.read()
    image = Image.open(io.BytesIO(data))
    assert not image.getexif() and not image.getexif().get_ifd(0x8825)
    assert b"Exif" not in data[:200] and b"PhoneMaker" not in data


def test_more_than_four_photos_are_refused(client: Client, campaign: Any) -> None:
    photos = [SimpleUploadedFile(f"p{i}.jpg", gps_jpeg(), content_type="image/jpeg") for i in range(5)]
    response = client.post(reverse("tips:public_report"), form_data(photos=photos))
    assert response.status_code == 200 and not Tip.objects.exists()
    assert "最多上传 4 张照片" in response.content.decode()


def test_a_filled_honeypot_is_refused(client: Client, campaign: Any) -> None:
    response = client.post(reverse("tips:public_report"), form_data(website="http://spam.example"))
    assert response.status_code == 200 and not Tip.objects.exists()


def test_a_form_sent_back_too_fast_or_without_token_is_refused(
    client: Client, campaign: Any, settings: Any
) -> None:
    settings.TIPS_MIN_FILL_SECONDS = 30
    assert client.post(reverse("tips:public_report"), form_data()).status_code == 200
    assert client.post(reverse("tips:public_report"), form_data(started="forged")).status_code == 200
    assert not Tip.objects.exists()


def test_the_page_answers_429_past_the_limit(client: Client, campaign: Any, settings: Any) -> None:
    settings.TIPS_SUBMIT_MAX_PER_PHONE = 1
    assert client.post(reverse("tips:public_report"), form_data()).status_code == 302
    response = client.post(reverse("tips:public_report"), form_data())
    assert response.status_code == 429 and Tip.objects.count() == 1


def test_status_page_shows_progress_and_reward_only(client: Client, make_tip: Any) -> None:
    tip = make_tip(name=NAME, phone=PHONE)
    response = client.get(reverse("tips:public_status", args=[tip.tracking_code]) + "?new=1")
    text = response.content.decode()
    assert response.status_code == 200 and "待分拣" in text and tip.display_code in text
    assert NAME not in text and PHONE not in text and tip.description not in text and "甲一小区" not in text
    assert client.get(reverse("tips:public_status", args=["2" * 16])).status_code == 404


def staff_detail(client_for: Any, user: Any, tip: Tip) -> str:
    response = client_for(user).get(reverse("tips:tip_detail", args=[tip.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return response.content.decode()


def view_records(tip: Tip) -> Any:
    return ChangeRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(Tip), object_id=str(tip.pk), action=ChangeAction.VIEW
    )


def test_reporter_shown_to_tips_officers_only_and_every_view_logged(
    client_for: Any, personas: dict, make_tip: Any
) -> None:
    tip = make_tip(name=NAME, phone=PHONE)
    for persona in ("office", "leader", "locality"):
        text = staff_detail(client_for, personas[persona], tip)
        assert PHONE not in text and NAME not in text and "137****1234" in text
    assert not view_records(tip).exists()
    text = staff_detail(client_for, personas["tips_officer"], tip)
    assert PHONE in text and NAME in text
    staff_detail(client_for, personas["tips_officer"], tip)
    records = list(view_records(tip))
    assert len(records) == 2
    assert records[0].actor == personas["tips_officer"]
    assert records[0].changed_fields == ["reporter_name", "reporter_phone"]


def test_identity_never_enters_lists_exports_or_the_change_log(
    client_for: Any, personas: dict, make_tip: Any
) -> None:
    tip = make_tip(name=NAME, phone=PHONE)
    services.accept(tip, personas["tips_officer"])
    client = client_for(personas["tips_officer"])
    for params in ({}, {"export": "csv"}, {"export": "xlsx"}):
        response = client.get(reverse("tips:tip_list"), params)
        assert response.status_code == 200
        assert PHONE.encode() not in response.content and NAME.encode() not in response.content
    history = client_for(personas["office"]).get(reverse("tips:tip_history", args=[tip.pk]))
    assert history.status_code == 200 and PHONE not in history.content.decode()
    for record in ChangeRecord.objects.all():
        assert PHONE not in str(record.before) + str(record.after)


def test_property_companies_and_departments_do_not_see_tips(
    client_for: Any, personas: dict, make_tip: Any
) -> None:
    tip = make_tip()
    for persona in ("property", "department", "inspector", "volunteer", "platform"):
        client = client_for(personas[persona])
        assert client.get(reverse("tips:tip_detail", args=[tip.pk])).status_code in (403, 404)


def test_triage_verify_reward_pay_through_the_pages(client_for: Any, personas: dict, make_tip: Any) -> None:
    tip = make_tip(phone=PHONE, contact_consent=True)
    officer = client_for(personas["tips_officer"])
    office = client_for(personas["office"])
    url = lambda op: reverse("tips:tip_action", args=[tip.pk, op])  # noqa: E731
    assert officer.post(url("accept"), {"route": "hazard"}).status_code == 302
    assert officer.post(url("verify"), {"outcome": Outcome.TRUE, "note": "属实"}).status_code == 302
    reward = Reward.objects.get()
    detail = office.get(reverse("tips:reward_detail", args=[reward.pk]))
    assert detail.status_code == 200 and PHONE not in detail.content.decode()
    r_url = lambda op: reverse("tips:reward_action", args=[reward.pk, op])  # noqa: E731
    office.post(r_url("approve"), {"tier": "reported", "amount": "200", "recipient": tip.pk, "note": ""})
    officer.post(
        r_url("pay"),
        {"paid_on": datetime.date.today().isoformat(), "method": "cash", "payee_confirmed": "on"},
    )
    reward.refresh_from_db()
    assert reward.status == "paid"
    ledger = office.get(reverse("tips:payout_ledger"))
    assert ledger.status_code == 200 and "200" in ledger.content.decode()


def test_hotline_page(client_for: Any, personas: dict, campaign: Any) -> None:
    client = client_for(personas["tips_officer"])
    assert client.get(reverse("tips:hotline")).status_code == 200
    response = client.post(
        reverse("tips:hotline"),
        {
            "category": "lift",
            "description": "来电反映 3 号楼有人推车进电梯",
            "compound": "T-B-1",
            "phone": PHONE,
        },
    )
    assert response.status_code == 302
    tip = Tip.objects.get()
    assert tip.source == "hotline" and tip.unit.code == "T-B-1"
    assert client_for(personas["locality"]).get(reverse("tips:hotline")).status_code == 403


def test_posters_for_one_compound_and_all_compounds_of_a_unit(
    client_for: Any, personas: dict, town: dict, campaign: Any
) -> None:
    client = client_for(personas["office"])
    one = client.get(reverse("tips:poster", args=[town["a1"].pk]))
    assert one.status_code == 200 and one["Content-Type"] == "application/pdf"
    assert (
        one.content.startswith(b"%PDF")
        and one.content.count(b"/Type /Page\n")
        + one.content.count(b"/Type /Page>>")
        + one.content.count(b"/Type /Page ")
        >= 1
    )
    everything = client.get(reverse("tips:poster", args=[town["town"].pk]))
    assert everything.status_code == 200
    embedded = posters.poster_font() != posters.FALLBACK_FONT
    assert (b"/FontFile2" if embedded else b"STSong-Light") in everything.content
    # a property company prints its own compound's poster, not others'
    prop = client_for(personas["property"])
    assert prop.get(reverse("tips:poster", args=[town["a1"].pk])).status_code == 200
    assert prop.get(reverse("tips:poster", args=[town["b1"].pk])).status_code == 404
    assert client_for(personas["norole"]).get(reverse("tips:poster", args=[town["a1"].pk])).status_code == 403


def test_poster_qr_code_opens_the_prefilled_public_page(town: dict) -> None:
    assert posters.report_url("https://jb.example.gov.cn/", town["a1"]) == (
        "https://jb.example.gov.cn/tips/report/?unit=T-A-1"
    )
    pdf = posters.posters_pdf([town["a1"], town["b1"]], "http://testserver/")
    assert (
        pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page>>") + pdf.count(b"/Type /Page ") == 2
        or len(pdf) > 2000
    )


def test_todos_for_the_tips_officer(client_for: Any, personas: dict, make_tip: Any) -> None:
    make_tip()
    response = client_for(personas["tips_officer"]).get(reverse("home"))
    assert response.status_code == 200 and "待分拣的举报" in response.content.decode()


def test_poster_index_lists_the_units_the_user_sees(client_for: Any, personas: dict, town: dict) -> None:
    response = client_for(personas["locality"]).get(reverse("tips:poster_index"))
    text = response.content.decode()
    assert response.status_code == 200 and "甲一小区" in text and "乙一小区" not in text
    assert reverse("tips:poster", args=[town["a1"].pk]) in text
