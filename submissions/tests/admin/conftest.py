import pytest

from submissions.tests.admin.helpers import staff_member, submission_pending


@pytest.fixture
def pending(project):
    return submission_pending(project)


@pytest.fixture
def reviewer_client(client, project):
    """A staff user who reviews `project`, nothing else."""
    user = staff_member("reviewer", project, "reviewer")
    client.force_login(user)
    client.user = user
    return client
