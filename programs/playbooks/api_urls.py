"""Routes of the playbooks API, included at /api/v1/."""

from core.api import Router
from programs.playbooks.api import views

router = Router()
router.register("playbooks", views.PlaybookViewSet, basename="playbook")
router.register(
    r"playbooks/(?P<playbook_slug>[^/]+)/versions",
    views.PlaybookVersionViewSet,
    basename="playbook-version",
)

urlpatterns = router.urls
