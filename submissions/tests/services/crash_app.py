"""The WSGI application for test_stored_file_reap: kycreview's, with one service function held.

KYC_TEST_PAUSE_AT names a function of submissions.services; the worker that calls it writes its
pid to KYC_TEST_PAUSE_FLAG and sleeps, so that the test SIGKILLs it at exactly that point.
"""

import os
import time

from kycreview.wsgi import application  # noqa: F401 - sets Django up, and is what gunicorn serves
from submissions import services


def _held(function):
    def held(*args, **kwargs):
        with open(os.environ["KYC_TEST_PAUSE_FLAG"], "w") as flag:
            flag.write(str(os.getpid()))
        time.sleep(600)
        return function(*args, **kwargs)

    return held


_point = os.environ["KYC_TEST_PAUSE_AT"]
setattr(services, _point, _held(getattr(services, _point)))
