"""The project's URLs with the submissions API mounted (until `ledgers.api_urls` includes it)."""

from django.urls import include, path

from ebsafety.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("api/v1/", include("ebsafety.ledgers.api_submissions")),
    *project_urlpatterns,
]
