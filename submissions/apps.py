from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "submissions"
    verbose_name = "Submissions"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from kycreview.memory import memory_release

        # Registers the shipped checks in the pipeline registry.
        from . import checks  # noqa: F401

        # Image requests free tens of MB each: give it back, or a worker's RSS ratchets up.
        request_finished.connect(memory_release, dispatch_uid="kycreview.memory_release")
