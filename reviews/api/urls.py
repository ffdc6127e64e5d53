"""Routes of the reviews API, included at /api/v1/."""

from rest_framework.routers import DefaultRouter

from reviews.api import views

router = DefaultRouter()
router.register("launch-reviews", views.LaunchReviewViewSet, basename="launch-review")
router.register("launch-review-items", views.LaunchReviewItemViewSet, basename="launch-review-item")
router.register("sign-offs", views.SignOffViewSet, basename="sign-off")
router.register("review-comments", views.ReviewCommentViewSet, basename="review-comment")

urlpatterns = router.urls
