from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "programs.playbooks"
    label = "playbooks"
    verbose_name = "Playbooks"

    def ready(self) -> None:
        from programs.demo import DemoStage, register_demo_step
        from programs.playbooks.demo import publish_latest_launch_process, seed_playbooks

        # Before the launch reviews (stage RECORDS, by name), whose checklists link them.
        register_demo_step("playbooks.playbooks", seed_playbooks, stage=DemoStage.RECORDS)
        # After them: the demo's reviews keep linking the version they were made under.
        register_demo_step(
            "playbooks.latest_launch_process",
            publish_latest_launch_process,
            stage=DemoStage.HISTORY,
        )
