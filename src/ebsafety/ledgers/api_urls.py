"""API routes of the ledgers app (mounted under /api/v1/)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from ebsafety.ledgers import api

router = DefaultRouter()
router.include_root_view = False  # core's router serves the API root at /api/v1/
router.register("people", api.PersonViewSet)
router.register("ebikes", api.EBikeViewSet)
router.register("shops", api.ShopViewSet)
router.register("recycling-sites", api.RecyclingSiteViewSet)
router.register("platforms", api.PlatformViewSet)
router.register("platform-accounts", api.PlatformAccountViewSet)
router.register("stations", api.StationViewSet)
router.register("riders", api.RiderViewSet)
router.register("sales", api.SaleViewSet)

urlpatterns = [path("", include(router.urls)), path("", include("ebsafety.ledgers.api_submissions"))]
