"""Routes of the reviews API, included at /api/v1/."""

from core.api import Router
from reviews.api import ops, views

router = Router()
router.register("launch-reviews", views.LaunchReviewViewSet, basename="launch-review")
router.register("launch-review-items", views.LaunchReviewItemViewSet, basename="launch-review-item")
router.register("sign-offs", views.SignOffViewSet, basename="sign-off")
router.register("review-comments", views.ReviewCommentViewSet, basename="review-comment")

router.register("capacity-budgets", views.CapacityBudgetViewSet, basename="capacity-budget")
router.register("capacity-requests", views.CapacityRequestViewSet, basename="capacity-request")

router.register("operational-reviews", ops.OperationalReviewViewSet, basename="operational-review")
router.register("action-items", ops.ActionItemViewSet, basename="action-item")

urlpatterns = router.urls
