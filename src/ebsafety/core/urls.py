from django.urls import path

from ebsafety.core.views import accounts, home, messages, org

app_name = "core"


def crud(prefix: str, name: str, list_view, detail, history, edit, delete=None) -> list:
    patterns = [
        path(f"{prefix}/", list_view.as_view(), name=f"{name}_list"),
        path(f"{prefix}/add/", edit.as_view(), name=f"{name}_add"),
        path(f"{prefix}/<int:pk>/", detail.as_view(), name=f"{name}_detail"),
        path(f"{prefix}/<int:pk>/edit/", edit.as_view(), name=f"{name}_edit"),
        path(f"{prefix}/<int:pk>/history/", history.as_view(), name=f"{name}_history"),
    ]
    if delete is not None:
        patterns.append(path(f"{prefix}/<int:pk>/delete/", delete.as_view(), name=f"{name}_delete"))
    return patterns


urlpatterns = [
    path("units/import/", org.UnitImportView.as_view(), name="unit_import"),
    path("units/template.xlsx", org.unit_template, name="unit_template"),
    *crud(
        "units",
        "unit",
        org.UnitListView,
        org.UnitDetailView,
        org.UnitHistoryView,
        org.UnitEditView,
        org.UnitDeleteView,
    ),
    *crud(
        "departments",
        "department",
        org.DepartmentListView,
        org.DepartmentDetailView,
        org.DepartmentHistoryView,
        org.DepartmentEditView,
        org.DepartmentDeleteView,
    ),
    *crud(
        "campaigns",
        "campaign",
        org.CampaignListView,
        org.CampaignDetailView,
        org.CampaignHistoryView,
        org.CampaignEditView,
        org.CampaignDeleteView,
    ),
    path("campaigns/<int:pk>/parameters/", org.CampaignParametersView.as_view(), name="campaign_parameters"),
    path(
        "campaigns/<int:pk>/<str:transition>/",
        org.CampaignTransitionView.as_view(),
        name="campaign_transition",
    ),
    *crud(
        "users",
        "user",
        accounts.UserListView,
        accounts.UserDetailView,
        accounts.UserHistoryView,
        accounts.UserEditView,
    ),
    path(
        "users/<int:pk>/reset-password/", accounts.UserPasswordResetView.as_view(), name="user_reset_password"
    ),
    *crud(
        "memberships",
        "membership",
        accounts.MembershipListView,
        accounts.MembershipDetailView,
        accounts.MembershipHistoryView,
        accounts.MembershipEditView,
        accounts.MembershipDeleteView,
    ),
    path("audit/", home.ChangeRecordListView.as_view(), name="changerecord_list"),
    path("audit/<int:pk>/", home.ChangeRecordDetailView.as_view(), name="changerecord_detail"),
    path("notifications/", messages.notifications, name="notification_list"),
    path("notifications/<int:pk>/", messages.notification_open, name="notification_open"),
    path("webhooks/", messages.WebhookListView.as_view(), name="webhookdelivery_list"),
    path("webhooks/<int:pk>/retry/", messages.webhook_retry, name="webhookdelivery_retry"),
    path("attachments/<int:pk>/", messages.attachment_download, name="attachment_download"),
    *crud(
        "calendar",
        "calendarday",
        messages.CalendarDayListView,
        messages.CalendarDayDetailView,
        messages.CalendarDayHistoryView,
        messages.CalendarDayEditView,
        messages.CalendarDayDeleteView,
    ),
    path("jobs/", home.JobListView.as_view(), name="job_list"),
    path("jobs/<uuid:pk>/", home.job_detail, name="job_detail"),
    path("jobs/<uuid:pk>/status.json", home.job_status, name="job_status"),
    path("jobs/<uuid:pk>/download/", home.JobDownloadView.as_view(), name="job_download"),
]
