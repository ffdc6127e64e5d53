from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "programs.plans"
    label = "plans"
    verbose_name = "Program plans"
