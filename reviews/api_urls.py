"""Routes of the reviews API, included at /api/v1/."""

from core.api import Router
from reviews.capacity.api import views as capacity
from reviews.launch.api import views as launch
from reviews.ops import api as ops

router = Router()
router.register("launch-reviews", launch.LaunchReviewViewSet, basename="launch-review")
router.register(
    "launch-review-items", launch.LaunchReviewItemViewSet, basename="launch-review-item"
)
router.register("sign-offs", launch.SignOffViewSet, basename="sign-off")
router.register("review-comments", launch.ReviewCommentViewSet, basename="review-comment")

router.register("capacity-budgets", capacity.CapacityBudgetViewSet, basename="capacity-budget")
router.register("capacity-requests", capacity.CapacityRequestViewSet, basename="capacity-request")

router.register("operational-reviews", ops.OperationalReviewViewSet, basename="operational-review")
router.register("action-items", ops.ActionItemViewSet, basename="action-item")

urlpatterns = router.urls
