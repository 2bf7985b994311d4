import pytest

from submissions.tests.admin.helpers import staff_user, submission_pending


@pytest.fixture
def pending(project):
    return submission_pending(project)


@pytest.fixture
def reviewer_client(client, db):
    """A staff user who may view submissions and decide, nothing else."""
    user = staff_user("reviewer", "submissions.view_submission", "reviews.add_reviewdecision")
    client.force_login(user)
    client.user = user
    return client
