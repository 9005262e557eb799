"""API routes of the inspections app (mounted under /api/v1/)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from ebsafety.inspections import api, api_cases

router = DefaultRouter()
router.include_root_view = False  # core's router serves the API root at /api/v1/
router.register("inspections", api.InspectionViewSet)
router.register("hazards", api.HazardViewSet)
router.register("cases", api.EnforcementCaseViewSet)
router.register("case-parties", api_cases.CasePartyViewSet)
router.register("case-penalties", api_cases.CasePenaltyViewSet)
router.register("supervision-visits", api.SupervisionVisitViewSet)

urlpatterns = [path("", include(router.urls))]
