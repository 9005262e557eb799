"""URLs of the inspections app: each views module lists its own patterns explicitly (records first, so
`…/<pk>/edit/` and `…/<pk>/history/` win over the transition pattern `hazards/<pk>/<name>/`)."""

from ebsafety.inspections.views import case_parts, figures, flows, records

app_name = "inspections"

urlpatterns = [
    *records.urlpatterns,
    *case_parts.urlpatterns,
    *figures.urlpatterns,
    *flows.urlpatterns,
]
