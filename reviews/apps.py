from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from programs import panels
        from programs.signals import demo_seeded
        from reviews.panels import capacity_panel, launch_reviews_panel

        panels.register("reviews.launch_reviews", launch_reviews_panel)
        panels.register("reviews.capacity", capacity_panel)
        # Connected before metrics' receiver (apps are ready in INSTALLED_APPS order), so the
        # launch reviews exist when the demo's health is computed.
        demo_seeded.connect(_seed_reviews, dispatch_uid="reviews.seed")


def _seed_reviews(sender, *, seed, write, **kwargs) -> None:
    """``seed_demo`` finished the programs: add launch reviews and capacity requests."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("seed_reviews", seed=seed, stdout=out)
    for line in out.getvalue().splitlines():
        write(line)
