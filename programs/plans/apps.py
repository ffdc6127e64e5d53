from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "programs.plans"
    label = "plans"
    verbose_name = "Program plans"

    def ready(self) -> None:
        from programs import panels
        from programs.demo import DemoStage, register_demo_step
        from programs.plans import live  # noqa: F401 - registers the programs' live blocks
        from programs.plans.demo import seed_plans
        from programs.plans.panels import plan_panel

        panels.register("plans.plan", plan_panel)
        # Stage RECORDS: health (stage HISTORY) sees the plans still waiting for agreement.
        register_demo_step("plans.plans", seed_plans, stage=DemoStage.RECORDS)
