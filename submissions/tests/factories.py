import factory
from django.utils import timezone

from submissions.choices import SubmissionStatus
from submissions.models import Project, Submission


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")


class SubmissionFactory(factory.django.DjangoModelFactory):
    """A submission brought to `target_status` through its transitions (status is protected).

    `target_status=incomplete` with `step1_done=True` is one that passed Step 1.
    """

    class Meta:
        model = Submission

    # `target_status` and `step1_done` are plain keyword arguments taken by `_create`: a
    # factory_boy `Params` entry would be resolved and then dropped before `_create` sees it.

    project = factory.SubFactory(ProjectFactory)
    email = factory.Sequence(lambda n: f"applicant{n}@example.com")
    requested_id_type = "passport"
    id_type = "passport"
    issuing_country = "POL"
    entered_data = factory.LazyFunction(dict)

    @classmethod
    def _create(cls, model_class, *args, target_status=SubmissionStatus.INCOMPLETE, step1_done=True, **kwargs):
        submission = model_class(*args, **kwargs)
        if step1_done or target_status != SubmissionStatus.INCOMPLETE:
            submission.complete_step1()
        if target_status != SubmissionStatus.INCOMPLETE:
            submission.entered_data = {"name": "Anna Nowak", "date_of_birth": "1990-04-12", **submission.entered_data}
            submission.submit()
        if target_status == SubmissionStatus.APPROVED:
            submission.approve()
        elif target_status == SubmissionStatus.REJECTED:
            submission.reject(codes=["other"], comments=["factory"])
        submission.save()
        return submission


def decided_at(submission: Submission, when) -> Submission:
    """Backdate a decision (for period rules) without touching the protected status."""
    Submission.objects.filter(pk=submission.pk).update(decided_at=when, updated_at=timezone.now())
    submission.refresh_from_db()
    return submission
