from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Metrics and health"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate, pre_migrate

        from metrics.agenda import health_sections
        from metrics.analytics.install import drop_before_migrate, install_after_migrate
        from metrics.insights import cache as insights_cache
        from metrics.panels import (
            health_panel,
            metrics_panel,
            milestone_timeline_panel,
            risk_matrix_panel,
        )
        from metrics.plan_blocks import success_metrics_table
        from metrics.seeding import on_demo_seeded
        from programs import panels
        from programs.demo import DemoStage, register_demo_step
        from programs.plans.live import register_live_block
        from programs.signals import program_changed
        from reviews.ops.agenda import register_agenda_builder

        program_changed.connect(_recompute_on_change, dispatch_uid="metrics.recompute_on_change")
        insights_cache.connect()  # a committed write replaces the insights' data generation
        # Sent once per app by migrate: for this app only, so once per run.
        pre_migrate.connect(drop_before_migrate, sender=self, dispatch_uid="metrics.analytics")
        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="metrics.analytics")
        # Stage HISTORY: health counts the launch reviews seeded in stage RECORDS.
        register_demo_step("metrics.health", on_demo_seeded, stage=DemoStage.HISTORY)
        panels.register("metrics.health", health_panel)
        panels.register("metrics.success_metrics", metrics_panel)
        panels.register("metrics.milestone_timeline", milestone_timeline_panel)
        panels.register("metrics.risk_matrix", risk_matrix_panel)
        register_agenda_builder(health_sections)
        register_live_block("success_metrics", success_metrics_table)


def _recompute_on_change(sender, program_ids, **kwargs) -> None:
    """A program's health inputs changed (the signal is sent on commit): recompute it soon."""
    from metrics.tasks import schedule_program_recompute

    schedule_program_recompute(program_ids)
