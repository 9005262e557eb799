"""Staff API routes of the tips app (mounted under /api/v1/); the public ones are in public_api_urls."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from ebsafety.tips.api import staff

router = DefaultRouter()
router.include_root_view = False  # core's router serves the API root at /api/v1/
router.register("tips", staff.TipViewSet, basename="tip")
router.register("tip-rewards", staff.RewardViewSet, basename="tip-reward")

urlpatterns = [path("", include(router.urls))]
