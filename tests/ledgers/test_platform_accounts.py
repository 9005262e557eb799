"""Platform accounts: the office links a platform-role account to the platform it acts for, on the
platform's page; the link decides what the account reaches and may push."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from ebsafety.core.choices import Role
from ebsafety.core.models import ChangeRecord, Membership
from ebsafety.ledgers.models import PlatformAccount, Station


def platform_membership(user: Any) -> Membership:
    return user.memberships.get(role=Role.PLATFORM)


def test_office_links_an_account_on_the_platform_page(ledgers: dict, personas: dict, client_for: Any) -> None:
    user, platform = personas["platform"], ledgers["p2"]
    PlatformAccount.objects.filter(membership__user=user).delete()
    user.clear_scope_cache()
    assert not Station.objects.visible_to(user).exists()

    office = client_for(personas["office"])
    page = office.get(platform.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="platform-accounts"' in html and "未关联账号" in html
    add = office.get(f"/ledgers/platform-accounts/add/?platform={platform.pk}")
    assert add.status_code == 200
    offered = list(add.context["form"].fields["membership"].queryset)
    assert offered == [platform_membership(user)]  # platform-role memberships only, not yet linked

    response = office.post(
        "/ledgers/platform-accounts/add/",
        {"platform": platform.pk, "membership": platform_membership(user).pk},
    )
    assert response.status_code == 302 and response["Location"] == platform.get_absolute_url()
    account = PlatformAccount.objects.get(membership__user=user)
    assert account.platform == platform
    assert ChangeRecord.objects.filter(
        content_type__model="platformaccount", object_id=str(account.pk)
    ).exists()
    user.clear_scope_cache()
    assert set(Station.objects.visible_to(user)) == {ledgers["s2"]}
    assert user.get_username() in office.get(platform.get_absolute_url()).content.decode()


def test_office_unlinks_an_account(ledgers: dict, personas: dict, client_for: Any) -> None:
    user = personas["platform"]
    account = PlatformAccount.objects.get(membership__user=user)
    office = client_for(personas["office"])
    assert office.get(f"/ledgers/platform-accounts/{account.pk}/delete/").status_code == 200
    response = office.post(f"/ledgers/platform-accounts/{account.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == ledgers["p1"].get_absolute_url()
    assert not PlatformAccount.objects.filter(pk=account.pk).exists()
    user.clear_scope_cache()
    assert not Station.objects.visible_to(user).exists()
    assert platform_membership(user).is_active  # the account keeps its login and role


def test_an_account_already_linked_is_not_offered_again(
    ledgers: dict, personas: dict, client_for: Any
) -> None:
    office = client_for(personas["office"])
    form = office.get(f"/ledgers/platform-accounts/add/?platform={ledgers['p2'].pk}").context["form"]
    assert not form.fields["membership"].queryset.exists()
    response = office.post(
        "/ledgers/platform-accounts/add/",
        {"platform": ledgers["p2"].pk, "membership": platform_membership(personas["platform"]).pk},
    )
    assert response.status_code == 200 and response.context["form"].errors["membership"]
    assert PlatformAccount.objects.get(membership__user=personas["platform"]).platform == ledgers["p1"]


def test_only_a_platform_role_membership_may_be_linked(ledgers: dict, personas: dict) -> None:
    account = PlatformAccount(platform=ledgers["p2"], membership=personas["locality"].memberships.get())
    with pytest.raises(ValidationError) as refused:
        account.full_clean()
    assert "只有“平台”角色的账号授权可以关联平台" in str(refused.value)


@pytest.mark.parametrize("persona", ["leader", "locality", "department", "platform", "inspector"])
def test_only_the_office_links_and_unlinks(
    ledgers: dict, personas: dict, client_for: Any, persona: str
) -> None:
    account = PlatformAccount.objects.get(membership__user=personas["platform"])
    client = client_for(personas[persona])
    assert client.get(f"/ledgers/platform-accounts/add/?platform={ledgers['p1'].pk}").status_code == 403
    status = client.post(f"/ledgers/platform-accounts/{account.pk}/delete/").status_code
    assert status in (403, 404)
    assert PlatformAccount.objects.filter(pk=account.pk).exists()


def test_the_old_note_links_become_platform_accounts(ledgers: dict, personas: dict) -> None:
    """The migration turns the stop-gap (a credit code in the membership's note) into links."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("ebsafety.ledgers.migrations.0004_platform_accounts")
    PlatformAccount.objects.all().delete()
    membership = platform_membership(personas["platform"])
    membership.note = f" {ledgers['p2'].credit_code.lower()} "
    membership.save()
    migration.link_from_notes(apps, None)
    migration.link_from_notes(apps, None)  # idempotent
    assert list(PlatformAccount.objects.values_list("membership", "platform")) == [
        (membership.pk, ledgers["p2"].pk)
    ]


def test_platform_accounts_api(ledgers: dict, personas: dict) -> None:
    from rest_framework.test import APIClient

    user = personas["platform"]
    office = APIClient()
    office.force_authenticate(personas["office"])
    listed = office.get("/api/v1/platform-accounts/").json()["results"]
    assert [(a["username"], a["platform"]) for a in listed] == [(user.username, ledgers["p1"].pk)]
    account = PlatformAccount.objects.get(membership__user=user)
    assert office.delete(f"/api/v1/platform-accounts/{account.pk}/").status_code == 204
    created = office.post(
        "/api/v1/platform-accounts/",
        {"platform": ledgers["p2"].pk, "membership": platform_membership(user).pk},
        format="json",
    )
    assert created.status_code == 201, created.content
    refused = office.post(
        "/api/v1/platform-accounts/",
        {"platform": ledgers["p1"].pk, "membership": personas["locality"].memberships.get().pk},
        format="json",
    )
    assert refused.status_code == 400 and "membership" in refused.json()
    other = APIClient()
    other.force_authenticate(personas["locality"])
    assert other.post("/api/v1/platform-accounts/", {}, format="json").status_code == 403
    assert office.get("/api/schema/").status_code == 200
    assert "/api/v1/platform-accounts/" in office.get("/api/schema/?format=json").content.decode()
