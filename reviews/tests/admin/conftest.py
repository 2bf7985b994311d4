# The admin fixtures of the submissions app (pending submissions, a reviewer client).
from submissions.tests.admin.conftest import pending, reviewer_client  # noqa: F401
