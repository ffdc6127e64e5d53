from django.contrib import admin
from django.urls import include, path

from core import views as core_views
from metrics import home
from programs import views as program_views

# A database that cannot be reached answers 503 with Retry-After, not 500 (core.unavailable).
handler500 = "core.unavailable.handler500"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("accounts/", include("core.urls")),
    path("accounts/oidc/", include("core.sso.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("programs/", include("metrics.urls")),
    path("programs/", include("programs.urls")),
    path("programs/", include("programs.plans.urls")),
    path("playbooks/", include("programs.playbooks.urls")),
    path("search/", program_views.search_view, name="search"),
    path("reviews/", include("reviews.urls")),
    path("ops-reviews/", include("reviews.ops.urls")),
    path("calendar/", include("reviews.calendar.urls")),
    path("import/", include("programs.imports.urls")),
    path("insights/", include("metrics.insights.urls")),
    path("", include("metrics.leadership_urls")),
    path("", home.home, name="home"),
]
