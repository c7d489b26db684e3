"""Page middleware: the one place where domain errors under a page become responses (the API has its own in
lec/api.py), and the session idle timeout."""

import time

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from lec.lib.errors import DomainError, Forbidden, NotFound


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if request.path.startswith("/api/") or not isinstance(exc, DomainError):
            return None
        if isinstance(exc, NotFound):
            return render(request, "404.html", {"message": exc.message}, status=404)
        if isinstance(exc, Forbidden):
            return render(request, "403.html", {"message": exc.message}, status=403)
        if getattr(request, "htmx", False):
            response = render(request, "partials/error_message.html", {"exc": exc}, status=200)
            response["HX-Retarget"] = "#action-messages"
            response["HX-Reswap"] = "innerHTML"
            return response
        messages.error(request, str(exc.message))
        back = request.META.get("HTTP_REFERER", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect(back)
        return HttpResponse(str(exc.message), status=exc.status, content_type="text/plain; charset=utf-8")


class SessionIdleMiddleware:
    """Idle timeout without a session write on every request: the session's expiry (SESSION_COOKIE_AGE, 30
    minutes) is pushed forward at most once a minute, so a busy deadline day does not pay an UPDATE per page."""

    REFRESH_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get("_auth_user_id"):
            now = int(time.time())
            if now - session.get("_lec_seen", 0) >= self.REFRESH_SECONDS:
                session["_lec_seen"] = now  # marks the session modified: saved with a fresh expiry
        return self.get_response(request)
