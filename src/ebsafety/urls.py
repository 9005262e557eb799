from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from ebsafety.core.views import accounts, home

admin.site.site_header = "电动自行车消防安全专项整治平台 · 管理后台"
admin.site.site_title = "ebsafety 管理后台"

urlpatterns = [
    path("", home.home, name="home"),
    path(
        "login/",
        login_not_required(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", accounts.OwnPasswordChangeView.as_view(), name="password_change"),
    path("core/", include("ebsafety.core.urls")),
    path("ledgers/", include("ebsafety.ledgers.urls")),
    path("inspections/", include("ebsafety.inspections.urls")),
    path("tips/", include("ebsafety.tips.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/public/", include("ebsafety.tips.public_api_urls")),
    path("api/v1/", include("ebsafety.core.api.urls")),
    path("api/v1/", include("ebsafety.ledgers.api_urls")),
    path("api/v1/", include("ebsafety.inspections.api_urls")),
    path("api/v1/", include("ebsafety.tips.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
