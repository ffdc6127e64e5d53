"""Routes of the programs API, included at /api/v1/."""

from core.api import Router
from programs.api import views

router = Router()
router.register("portfolios", views.PortfolioViewSet, basename="portfolio")
router.register("teams", views.TeamViewSet, basename="team")
router.register("programs", views.ProgramViewSet, basename="program")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("milestones", views.MilestoneViewSet, basename="milestone")
router.register(
    "milestone-date-changes", views.MilestoneDateChangeViewSet, basename="milestone-date-change"
)
router.register("status-updates", views.StatusUpdateViewSet, basename="status-update")
router.register("risks", views.RiskViewSet, basename="risk")
router.register("decisions", views.DecisionViewSet, basename="decision")

urlpatterns = router.urls
