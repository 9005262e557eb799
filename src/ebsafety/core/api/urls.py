from django.urls import include, path
from rest_framework.routers import DefaultRouter

from ebsafety.core.api import views

router = DefaultRouter()
router.register("units", views.UnitViewSet)
router.register("departments", views.DepartmentViewSet)
router.register("users", views.UserViewSet)
router.register("memberships", views.MembershipViewSet)
router.register("jobs", views.JobViewSet)

urlpatterns = [path("", include(router.urls))]
