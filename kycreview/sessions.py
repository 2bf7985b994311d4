"""Idle session expiry without a database write on every request.

SESSION_COOKIE_AGE is the idle timeout; Django renews a session's expiry only when the session
is saved. Saving on every request (SESSION_SAVE_EVERY_REQUEST) would add a write to every page
of the workspace, so a signed-in session is touched at most once a minute instead: a session
expires between SESSION_COOKIE_AGE and SESSION_COOKIE_AGE + 1 minute after its last request.
"""

import time

TOUCH_EVERY_SECONDS = 60


class SessionIdleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        # The API has no sessions: leave its requests alone (and the user unloaded).
        if user is not None and not request.path.startswith("/v3/") and user.is_authenticated:
            now = int(time.time())
            if now - request.session.get("kyc_touched", 0) >= TOUCH_EVERY_SECONDS:
                request.session["kyc_touched"] = now  # modified: saved with a fresh expiry
        return self.get_response(request)


def session_touch_on_login(sender, request, user, **kwargs) -> None:
    """A fresh login saves its session anyway: count it as the first touch."""
    if request is not None and hasattr(request, "session"):
        request.session["kyc_touched"] = int(time.time())
