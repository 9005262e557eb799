"""Sign-in, lock-out, password rules, resets by the office, and production security settings."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from ebsafety.core.models import ChangeRecord
from tests.conftest import PASSWORD


def login(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_and_logout(personas: dict) -> None:
    client = Client()
    response = login(client, "village", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200 and "我的待办" in home.content.decode()
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_repeated_failed_logins_lock_the_account(personas: dict, settings: Any) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = login(client, "village", "wrong-password-1")
    assert response.status_code in (403, 429)
    # even the right password is refused while locked out
    locked = login(client, "village", PASSWORD)
    assert locked.status_code in (403, 429)
    assert "锁定" in locked.content.decode()


def test_office_reset_unlocks_and_forces_a_password_change(
    personas: dict, client_for: Any, settings: Any
) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "village", "wrong-password-1")
    office = client_for(personas["office"])
    response = office.post(reverse("core:user_reset_password", args=[personas["locality"].pk]), follow=True)
    message = next(str(m) for m in response.context["messages"] if "临时密码" in str(m))
    temporary = message.split("临时密码：")[1].split("（")[0]
    user_client = Client()
    assert login(user_client, "village", temporary).status_code == 302
    # every page sends the user to change the password first
    assert user_client.get(reverse("core:unit_list"))["Location"] == reverse("password_change")
    response = user_client.post(
        reverse("password_change"),
        {"old_password": temporary, "new_password1": "Brand-new-2026x", "new_password2": "Brand-new-2026x"},
    )
    assert response.status_code == 302
    assert user_client.get(reverse("core:unit_list")).status_code == 200
    record = ChangeRecord.objects.filter(
        object_id=str(personas["locality"].pk), changed_fields=["must_change_password"]
    )
    assert record.count() == 2  # set by the reset, cleared by the change


@pytest.mark.parametrize(
    "password", ["short1A", "onlyletterslong", "1234567890123", "password123", "village2026"]
)
def test_weak_passwords_are_refused(personas: dict, password: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(password, personas["locality"])


def test_strong_password_is_accepted(personas: dict) -> None:
    validate_password("Ruyi-lake-2026", personas["locality"])


def test_office_creates_user_with_temporary_password(personas: dict, client_for: Any) -> None:
    office = client_for(personas["office"])
    response = office.post(
        reverse("core:user_add"),
        {
            "username": "newclerk",
            "display_name": "新文员",
            "phone": "",
            "email": "",
            "is_active": "on",
            "password": "",
        },
    )
    assert response.status_code == 302
    from ebsafety.core.models import User

    user = User.objects.get(username="newclerk")
    assert user.must_change_password and user.has_usable_password()


def test_office_grants_a_membership_through_the_page(personas: dict, town: dict, client_for: Any) -> None:
    from ebsafety.core.models import Membership, User

    user = User.objects.create_user("clerk2", password=PASSWORD)
    office = client_for(personas["office"])
    response = office.post(
        reverse("core:membership_add"),
        {"user": user.pk, "role": "locality", "unit": town["b"].pk, "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Membership.objects.get(user=user).unit == town["b"]
    # a department role needs a department, not a unit
    response = office.post(
        reverse("core:membership_add"),
        {"user": user.pk, "role": "department", "unit": town["b"].pk, "is_active": "on"},
    )
    assert response.status_code == 200 and "须指定部门" in response.content.decode()


def test_user_management_is_office_only(personas: dict, client_for: Any) -> None:
    for persona in ("leader", "locality", "department", "inspector"):
        client = client_for(personas[persona])
        assert client.get(reverse("core:user_list")).status_code == 403
        assert (
            client.post(reverse("core:user_reset_password", args=[personas["locality"].pk])).status_code
            == 403
        )
        assert client.get("/api/v1/users/").status_code == 403


def test_user_without_role_sees_a_refusal_page(personas: dict, client_for: Any) -> None:
    response = client_for(personas["norole"]).get(reverse("home"))
    assert response.status_code == 403 and "尚未分配角色" in response.content.decode()


def test_check_deploy_is_clean_with_production_settings(tmp_path: Any) -> None:
    env = {
        **os.environ,
        "SECRET_KEY": "x" * 20 + "production-secret-key-with-enough-entropy-4711",
        "EBSAFETY_HTTPS": "1",
        "ALLOWED_HOSTS": "ebsafety.example.gov.cn",
        "DEBUG": "0",
        "EBSAFETY_VAR_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "ebsafety.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_security_headers(personas: dict, client_for: Any) -> None:
    response = client_for(personas["office"]).get(reverse("home"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert len(response["X-Request-ID"]) == 32


def test_lock_out_is_per_client_behind_a_proxy(personas: dict, settings: Any) -> None:
    """Behind nginx every request comes from 127.0.0.1: the client is read from X-Forwarded-For."""
    settings.AXES_IPWARE_PROXY_COUNT = 1
    attacker, user = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attacker.post(
            reverse("login"), {"username": "village", "password": "wrong-1"}, HTTP_X_FORWARDED_FOR="10.9.9.9"
        )
    locked = attacker.post(
        reverse("login"), {"username": "village", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="10.9.9.9"
    )
    assert locked.status_code in (403, 429)
    ok = user.post(
        reverse("login"), {"username": "village", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="10.1.1.1"
    )
    assert ok.status_code == 302


def test_client_ip_takes_the_address_the_trusted_proxy_saw(rf: Any, settings: Any) -> None:
    from ebsafety.core.middleware import client_ip

    settings.AXES_IPWARE_PROXY_COUNT = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.1.1.1", REMOTE_ADDR="127.0.0.1")
    assert client_ip(request) == "10.1.1.1"  # the spoofed left-most address is ignored
    settings.AXES_IPWARE_PROXY_COUNT = 0
    assert client_ip(request) == "127.0.0.1"
