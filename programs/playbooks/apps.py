from django.apps import AppConfig


class PlaybooksConfig(AppConfig):
    name = "programs.playbooks"
    label = "playbooks"
    verbose_name = "Playbooks"
