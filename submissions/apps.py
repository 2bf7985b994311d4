from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "submissions"
    verbose_name = "Submissions"

    def ready(self) -> None:
        # Registers the shipped checks in the pipeline registry.
        from . import checks  # noqa: F401
