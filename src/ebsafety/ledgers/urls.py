"""URLs of the ledgers app: each views module lists its own patterns explicitly."""

from ebsafety.ledgers.views import imports, records, submissions

app_name = "ledgers"

urlpatterns = [*records.urlpatterns, *imports.urlpatterns, *submissions.urlpatterns]
