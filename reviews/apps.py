from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from programs import panels
        from reviews.panels import launch_reviews_panel

        panels.register("reviews.launch_reviews", launch_reviews_panel)
