from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from programs import panels
        from reviews.panels import capacity_panel, launch_reviews_panel

        panels.register("reviews.launch_reviews", launch_reviews_panel)
        panels.register("reviews.capacity", capacity_panel)
