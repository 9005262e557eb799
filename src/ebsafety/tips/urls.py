"""URLs of the tips app: the public pages (no login) and the staff pages, listed explicitly."""

from django.urls import path

from ebsafety.tips.views import figures, posters, public, rewards, staff

app_name = "tips"

urlpatterns = [
    # public (phone-first, no login)
    path("report/", public.report, name="public_report"),
    path("report/buildings/", public.buildings, name="public_buildings"),
    path("status/", public.status_lookup, name="public_lookup"),
    path("status/<str:code>/", public.status, name="public_status"),
    # staff
    path("", staff.TipListView.as_view(), name="tip_list"),
    path("triage/", staff.triage, name="triage"),
    path("hotline/", staff.HotlineView.as_view(), name="hotline"),
    path("figures/", figures.FiguresView.as_view(), name="figures"),
    path("<int:pk>/", staff.TipDetailView.as_view(), name="tip_detail"),
    path("<int:pk>/history/", staff.TipHistoryView.as_view(), name="tip_history"),
    path("<int:pk>/<str:op>/", staff.TipActionView.as_view(), name="tip_action"),
    path("rewards/", rewards.RewardListView.as_view(), name="reward_list"),
    path("rewards/ledger/", rewards.PayoutLedgerView.as_view(), name="payout_ledger"),
    path("rewards/<int:pk>/", rewards.RewardDetailView.as_view(), name="reward_detail"),
    path(
        "rewards/<int:pk>/history/",
        rewards.RewardHistoryView.as_view(),
        name="reward_history",
    ),
    path("rewards/<int:pk>/<str:op>/", rewards.RewardActionView.as_view(), name="reward_action"),
    path("categories/", staff.TipCategoryListView.as_view(), name="tipcategory_list"),
    path("categories/add/", staff.TipCategoryEditView.as_view(), name="tipcategory_add"),
    path("categories/<int:pk>/", staff.TipCategoryDetailView.as_view(), name="tipcategory_detail"),
    path("categories/<int:pk>/edit/", staff.TipCategoryEditView.as_view(), name="tipcategory_edit"),
    path("categories/<int:pk>/delete/", staff.TipCategoryDeleteView.as_view(), name="tipcategory_delete"),
    path(
        "categories/<int:pk>/history/",
        staff.TipCategoryHistoryView.as_view(),
        name="tipcategory_history",
    ),
    path("posters/", posters.poster_index, name="poster_index"),
    path("posters/<int:pk>/", posters.poster, name="poster"),
]
