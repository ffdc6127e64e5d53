"""Routes of the metrics API, included at /api/v1/."""

from core.api import Router
from metrics.analytics import api as analytics_export
from metrics.api import views
from metrics.insights import api as insights

router = Router()
router.register("success-metrics", views.SuccessMetricViewSet, basename="success-metric")
router.register("metric-readings", views.MetricReadingViewSet, basename="metric-reading")
router.register("health", views.ProgramHealthViewSet, basename="program-health")
router.register("health-snapshots", views.HealthSnapshotViewSet, basename="health-snapshot")

urlpatterns = router.urls + insights.urlpatterns + analytics_export.urlpatterns
