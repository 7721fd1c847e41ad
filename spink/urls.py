from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from categories.api.views import ServiceViewSet
from home import views as home_views
from spink import health
from spink.accounts.api.views import MeView, OrgUnitViewSet

router = DefaultRouter()
router.register("org-units", OrgUnitViewSet, basename="org-unit")
router.register("services", ServiceViewSet, basename="service")

api_v1: list[URLPattern | URLResolver] = [
    path("me/", MeView.as_view(), name="me"),
    path("", include(router.urls)),
    path("", include("providers.api.urls")),
    path("", include("placements.api.urls")),
    path("", include("followup.api.urls")),
    path("", include("reporting.api.urls")),
]

urlpatterns = [
    path("", home_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("organisation/", include("spink.accounts.urls")),
    path("saved-filters/", include("spink.accounts.saved_filter_urls")),
    path("taxonomy/", include("categories.urls")),
    path("statistics/", include("reporting.statistics.urls")),
    path("category-plans/", include("reporting.plans.urls")),
    path("register/", include("providers.urls")),
    path("register/import/", include("providers.import_urls")),
    path("requests/", include("placements.urls")),
    path("notifications/", include("notifications.urls")),
    path("follow-up/", include("followup.urls")),
    path("monitoring/", include("followup.monitoring.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path(settings.ADMIN_URL, admin.site.urls),
]

# 503 rather than 500 when middleware meets a database/broker outage (spink/unavailable.py).
handler500 = "spink.unavailable.server_error"

admin.site.site_header = "Spink"
admin.site.site_title = "Spink"
