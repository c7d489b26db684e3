"""The /api/v1 root: authentication, the one mapping from errors to JSON bodies, and the app routers."""

import json
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer

from accounts.api import router as accounts_router
from accounts.services import token_user
from budget.api import router as budget_router
from confirmations.api import router as confirmations_router
from confirmations.api_export import router as confirmations_export_router
from lec.lib.errors import Code, DomainError, Forbidden, Invalid, NotAuthenticated, NotFound
from lec.views import RETRY_AFTER_SECONDS, database_unavailable
from schools.api import router as schools_router
from students.api import router as students_router
from students.api_io import router as students_io_router
from students.api_jobs import router as students_jobs_router


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        found = token_user(token)
        if found is None:
            return None
        request.user, request.api_token = found
        return request.user


class SessionAuth(APIKeyCookie):
    """The browser's session, with CSRF on unsafe methods (ninja checks it when csrf=True). A request without a
    signed-in session is not checked for CSRF at all: it fails authentication, so api.md's 401
    `not_authenticated` comes before any CSRF 403 (a client with an expired token learns to sign in again)."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self):
        super().__init__(csrf=True)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


class NulInBody(ValueError):
    def __init__(self, path: str):
        self.path = path
        super().__init__(path)


def _nul_path(value, path: str = "") -> str | None:
    """The dotted path of the first string (or key) holding a NUL character in a decoded JSON body, or None."""
    if isinstance(value, str):
        return (path or "__all__") if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and "\x00" in key:
            return where
        found = _nul_path(item, where)
        if found:
            return found
    return None


class StrictJsonParser(Parser):
    """JSON bodies only, with no NUL character anywhere (PostgreSQL refuses it in text: it was a 500)."""

    def parse_body(self, request):
        data = json.loads(request.body)
        where = _nul_path(data)
        if where:
            raise NulInBody(where)
        return data


api = NinjaAPI(
    title="LEC API",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    parser=StrictJsonParser(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)

# Pydantic error types → messages users can read, in their language.
_PYDANTIC_MESSAGES = {
    "missing": lambda: _("This field is required."),
    "int_parsing": lambda: _("Enter a whole number."),
    "int_type": lambda: _("Enter a whole number."),
    "int_from_float": lambda: _("Enter a whole number."),
    "float_parsing": lambda: _("Enter a number."),
    "bool_parsing": lambda: _("Enter true or false."),
    "bool_type": lambda: _("Enter true or false."),
    "string_type": lambda: _("Enter text."),
    "date_parsing": lambda: _("Enter a date as yyyy-mm-dd."),
    "date_from_datetime_parsing": lambda: _("Enter a date as yyyy-mm-dd."),
    "datetime_parsing": lambda: _("Enter a date and time in ISO 8601 with an offset."),
    "datetime_from_date_parsing": lambda: _("Enter a date and time in ISO 8601 with an offset."),
    "timezone_aware": lambda: _("Give the time with its offset, for example +07:00."),
    "literal_error": lambda: _("This value is not one of the allowed choices."),
    "enum": lambda: _("This value is not one of the allowed choices."),
    "greater_than_equal": lambda: _("This number is too small."),
    "less_than_equal": lambda: _("This number is too large."),
    "greater_than": lambda: _("This number is too small."),
    "less_than": lambda: _("This number is too large."),
    "list_type": lambda: _("Enter a list."),
    "dict_type": lambda: _("Enter an object."),
    "model_attributes_type": lambda: _("Enter an object."),
    "json_invalid": lambda: _("The request body is not valid JSON."),
    "extra_forbidden": lambda: _("This field is not accepted."),
    "string_too_long": lambda: _("This text is too long."),
    "string_too_short": lambda: _("This field is required."),
}


def _dotted(loc) -> str:
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    elif parts and parts[0] in ("query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "__all__"


def error_response(request, status: int, body: dict, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    for key, value in (headers or {}).items():
        response[key] = value
    return response


@api.exception_handler(NinjaValidationError)
def _validation(request, exc):
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        message = _PYDANTIC_MESSAGES.get(err.get("type", ""))
        if message is not None:
            text = message()
        else:
            ctx = err.get("ctx") or {}
            inner = ctx.get("error")
            text = str(inner) if inner else _("This value is not valid.")
        errors.setdefault(_dotted(err.get("loc", ())), []).append(text)
    return error_response(request, 400, Invalid(errors).body())


@api.exception_handler(DomainError)
def _domain(request, exc):
    return error_response(request, exc.status, exc.body(), exc.headers())


@api.exception_handler(ValidationError)
def _django_validation(request, exc):
    return error_response(request, 400, Invalid.from_validation_error(exc).body())


@api.exception_handler(AuthenticationError)
def _auth(request, exc):
    return _domain(request, NotAuthenticated())


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _domain(request, NotFound())


@api.exception_handler(PermissionDenied)
def _denied(request, exc):
    return _domain(request, Forbidden())


_HTTP_CODES = {
    400: Code.INVALID,
    401: Code.NOT_AUTHENTICATED,
    403: Code.FORBIDDEN,
    404: Code.NOT_FOUND,
    429: Code.THROTTLED,
}


@api.exception_handler(HttpError)
def _http(request, exc):
    code = _HTTP_CODES.get(exc.status_code, Code.INVALID_TRANSITION)
    if exc.status_code in (400, 403) and "csrf" in str(exc.message).lower():
        return _domain(request, Forbidden(_("CSRF check failed. Reload the page.")))
    if exc.status_code == 400 and isinstance(exc.__cause__, NulInBody):
        return _domain(request, Invalid({exc.__cause__.path: [_("Text may not contain the NUL character.")]}))
    if exc.status_code == 400 and exc.__cause__ is not None:  # ninja's "Cannot parse request body"
        return _domain(request, Invalid({"__all__": [_("The request body is not valid JSON.")]}))
    return error_response(request, exc.status_code, {"detail": str(exc.message), "code": code})


_server_log = logging.getLogger("django.request")


@api.exception_handler(Exception)
def _unhandled(request, exc):
    """Anything else: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 400; the rest a logged 500, JSON alike."""
    if isinstance(exc, RequestDataTooBig):
        return _domain(request, Invalid({"__all__": [_("The request body is too large.")]}))
    _server_log.error(
        "Internal Server Error: %s",
        request.path,
        exc_info=exc,
        extra={"status_code": 500, "request": request},
    )
    if database_unavailable(exc):  # a restart or failover: the client may retry in a few seconds
        body = {
            "detail": _("The service is busy for a moment. Try again in a few seconds."),
            "code": "unavailable",
        }
        return error_response(request, 503, body, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    body = {"detail": _("Something went wrong on the server. Try again later."), "code": "server_error"}
    response = error_response(request, 500, body)
    response._has_been_logged = (
        True  # logged above with its traceback; Django would add a second line without
    )
    return response


def not_found_view(request, *args, **kwargs):
    return _domain(request, NotFound())


for router in (
    accounts_router,
    schools_router,
    budget_router,
    students_router,
    students_io_router,
    students_jobs_router,
    confirmations_router,
    confirmations_export_router,
):
    api.add_router("", router)
