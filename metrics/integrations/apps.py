from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Slack channels and outgoing webhooks: Pulse's events pushed to other tools.

    The top layer: it reads programs, reviews and metrics. The reviews' decisions reach it by
    ``reviews.signals`` (reviews imports nothing above it); metrics calls
    ``metrics.integrations.events.publish`` itself.
    """

    name = "metrics.integrations"
    label = "integrations"
    verbose_name = "Slack and webhooks"

    def ready(self) -> None:
        from metrics.integrations import events
        from reviews.signals import capacity_request_decided, launch_review_decided

        launch_review_decided.connect(
            events.on_launch_review_decided, dispatch_uid="integrations.launch_review_decided"
        )
        capacity_request_decided.connect(
            events.on_capacity_request_decided,
            dispatch_uid="integrations.capacity_request_decided",
        )
        events.connect_subscription_cache()
