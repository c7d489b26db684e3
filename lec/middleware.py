"""Page middleware: the one place where domain errors under a page become responses (the API has its own in
lec/api.py), the session idle timeout and absolute lifetime, the guard against hostile request values (NUL
characters), JSON for every /api/v1 answer, and `Cache-Control: no-store` on every dynamic answer."""

import time
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from lec.lib.errors import Code, DomainError, Forbidden, Invalid, NotFound


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
    minutes) is pushed forward at most once a minute, so a busy deadline day does not pay an UPDATE per page.

    Besides, a session lives at most LEC_SESSION_ABSOLUTE_SECONDS (12 hours) from its first signed-in request,
    however busy: after that it is flushed and the user signs in again (ASVS 7.3.2)."""

    REFRESH_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get("_auth_user_id"):
            now = int(time.time())
            started = session.get("_lec_started", now)
            if now - started > getattr(settings, "LEC_SESSION_ABSOLUTE_SECONDS", 12 * 3600):
                session.flush()
                return self.get_response(request)
            if now - session.get("_lec_seen", 0) >= self.REFRESH_SECONDS:
                session["_lec_started"] = started  # written with the refresh: no extra session write
                session["_lec_seen"] = now  # marks the session modified: saved with a fresh expiry
        return self.get_response(request)


# ---------------------------------------------------------------------------------------------------------
# Hostile values and the /api/v1 contract

_JSON_TYPES = ("application/json",)
_BODY_TYPES = ("application/json", "multipart/form-data")  # the API's uploads are multipart
_STATUS_CODES = {401: Code.NOT_AUTHENTICATED, 403: Code.FORBIDDEN, 404: Code.NOT_FOUND, 429: Code.THROTTLED}


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def _has_nul(request) -> str | None:
    """The name of the request part carrying a NUL character (path, a query parameter, a form field), or None."""
    if "\x00" in request.path_info:
        return "__all__"
    if b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
        return next(
            (k for k, vs in request.GET.lists() if "\x00" in k or any("\x00" in v for v in vs)), "__all__"
        )
    if request.content_type == "application/x-www-form-urlencoded" and request.method == "POST":
        for key, values in request.POST.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return key
    return None


def api_error(status: int, message, code: str = Code.INVALID, field: str | None = None) -> JsonResponse:
    """An answer with api.md's error body; a 400 carries `errors` on `field` (or __all__)."""
    if status == 400:
        body = Invalid({field or "__all__": [message]}).body()
    else:
        body = {"detail": str(message), "code": code}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _json_error_for(response) -> JsonResponse:
    """A non-JSON error answer under /api/v1 (Django's 405, 400, 413 pages) turned into api.md's body."""
    status = response.status_code
    if status == 405:
        allowed = response.get("Allow", "")
        out = api_error(405, _("This method is not allowed here."), Code.INVALID)
        if allowed:
            out["Allow"] = allowed
        return out
    if status == 400:
        return api_error(400, _("The request could not be read."))
    if status >= 500:
        return api_error(status, _("Something went wrong on the server. Try again later."), "server_error")
    return api_error(status, response.reason_phrase, _STATUS_CODES.get(status, Code.INVALID))


def _body_not_json(request) -> bool:
    has_body = request.META.get("CONTENT_LENGTH") not in (None, "", "0")
    unsafe = request.method in ("POST", "PUT", "PATCH")
    return unsafe and has_body and request.content_type not in _BODY_TYPES


class HostileInputMiddleware:
    """A NUL character anywhere in the path, the query string or a form field is refused with a 400 before any
    view runs (PostgreSQL cannot store it: it was a 500). Under /api/v1: a body that is not JSON or multipart is
    a 415, and every error answer that is not JSON yet (405s, Django's 400s) becomes api.md's JSON body. JSON
    bodies are checked for NUL by the API's parser (lec/api.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = _is_api(request)
        field = _has_nul(request)
        if field is not None:
            message = _("Text may not contain the NUL character.")
            if api:
                return api_error(400, message, field=field)
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        if api and _body_not_json(request):
            return api_error(415, _("Send the body as JSON (Content-Type: application/json)."), Code.INVALID)
        if (
            api
            and request.content_type == "multipart/form-data"
            and "boundary=" not in request.META.get("CONTENT_TYPE", "")
        ):  # Django cannot parse it (axes reads POST on /auth/token): it was a 500
            return api_error(400, _("The request could not be read."))
        response = self.get_response(request)
        if (
            api
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith(_JSON_TYPES)
        ):
            return _json_error_for(response)
        return response


class NoStoreMiddleware:
    """Every dynamic answer (pages, API answers, files) carries personal data or may: `Cache-Control: no-store`
    unless the view chose its own caching. Static files are answered by WhiteNoise before this runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response
