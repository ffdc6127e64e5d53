from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Metrics and health"

    def ready(self) -> None:
        from programs.signals import program_changed

        program_changed.connect(_recompute_on_change, dispatch_uid="metrics.recompute_on_change")


def _recompute_on_change(sender, program_ids, **kwargs) -> None:
    """A program's health inputs changed (the signal is sent on commit): recompute it soon."""
    from metrics.tasks import schedule_program_recompute

    schedule_program_recompute(program_ids)
