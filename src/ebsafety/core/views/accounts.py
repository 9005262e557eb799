"""Sign-in, passwords, and the office's user and membership management."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views import View

from ebsafety.core import services
from ebsafety.core.choices import Action
from ebsafety.core.filters import MembershipFilterSet, UserFilterSet
from ebsafety.core.forms import MembershipForm, UserCreateForm, UserForm
from ebsafety.core.models import Membership, User
from ebsafety.core.tables import MembershipTable, UserTable
from ebsafety.core.views import generic


class OwnPasswordChangeForm(PasswordChangeForm):
    def save(self, commit: bool = True) -> Any:
        services.change_own_password(self.user, self.cleaned_data["new_password1"])
        return self.user


class OwnPasswordChangeView(PasswordChangeView):
    form_class = OwnPasswordChangeForm
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        update_session_auth_hash(self.request, form.user)
        messages.success(self.request, "密码已修改。")
        return response


class UserListView(generic.ObjectListView):
    model = User
    filterset_class = UserFilterSet
    table_class = UserTable


class UserDetailView(generic.ObjectDetailView):
    model = User
    template_name = "core/user_detail.html"
    detail_fields = (
        "username",
        "display_name",
        "phone",
        "email",
        "is_active",
        "must_change_password",
        "last_login",
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        memberships = self.object.memberships.select_related("unit", "department")
        return super().get_context_data(memberships=memberships, **kwargs)


class UserHistoryView(generic.ObjectHistoryView):
    model = User


class UserEditView(generic.ObjectEditView):
    model = User
    form_class = UserForm

    def get_form(self, obj: Any) -> Any:
        if self.is_create:
            self.form_class = UserCreateForm
        return super().get_form(obj)

    def save_form(self, form: Any) -> Any:
        if not self.is_create:
            return form.save()
        user = form.save(commit=False)
        user.set_unusable_password()
        user.save()
        password = services.reset_password(user, new_password=form.cleaned_data.get("password") or None)
        messages.info(self.request, f"用户“{user.username}”的临时密码：{password}（首次登录须修改）")
        return user

    def post(self, request: HttpRequest, pk: Any = None) -> HttpResponse:
        # A new user has no membership yet, so the scope re-check of the base class finds it through
        # the "users without memberships" rule of User.scope_q_for_unit_path.
        return super().post(request, pk)


class UserPasswordResetView(generic.ScopedMixin, View):
    """The office resets a user's password to a temporary one shown once."""

    model = User
    action = Action.CHANGE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        user = get_object_or_404(self.get_queryset(), pk=pk)
        password = services.reset_password(user, by=request.user)
        messages.warning(
            request, f"已重置“{user.username}”的密码。临时密码：{password}（仅显示一次，首次登录须修改）"
        )
        return redirect(user.get_absolute_url())


class MembershipListView(generic.ObjectListView):
    model = Membership
    filterset_class = MembershipFilterSet
    table_class = MembershipTable

    def base_queryset(self) -> QuerySet:
        return Membership.objects.select_related("user", "unit", "department")


class MembershipDetailView(generic.ObjectDetailView):
    model = Membership
    detail_fields = ("user", "role", "unit", "department", "is_active", "note")


class MembershipHistoryView(generic.ObjectHistoryView):
    model = Membership


class MembershipEditView(generic.ObjectEditView):
    model = Membership
    form_class = MembershipForm


class MembershipDeleteView(generic.ObjectDeleteView):
    model = Membership


def locked_out(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return render(request, "registration/locked_out.html", status=429)
