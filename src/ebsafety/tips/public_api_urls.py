"""The public tip API, mounted at /api/v1/public/ (no login: each view is exempt from LoginRequired)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from ebsafety.tips.api import TipCategoryListView, TipStatusView, TipSubmitView

urlpatterns = [
    path("tip-categories/", login_not_required(TipCategoryListView.as_view()), name="public-tip-categories"),
    path("tips/", login_not_required(TipSubmitView.as_view()), name="public-tips"),
    path("tips/<str:tracking_code>/", login_not_required(TipStatusView.as_view()), name="public-tip-status"),
]
