"""The /api/v1 root: authentication, the one mapping from errors to JSON bodies, and the app routers."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from accounts.api import router as accounts_router
from accounts.services import token_user
from budget.api import router as budget_router
from confirmations.api import router as confirmations_router
from confirmations.api_export import router as confirmations_export_router
from lec.lib.errors import Code, DomainError, Forbidden, Invalid, NotAuthenticated, NotFound
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
    """The browser's session, with CSRF on unsafe methods (ninja checks it when csrf=True)."""

    param_name = "sessionid"

    def __init__(self):
        super().__init__(csrf=True)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


api = NinjaAPI(
    title="LEC API",
    version="1",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
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
    if exc.status_code == 400 and "csrf" in str(exc.message).lower():
        return _domain(request, Forbidden(_("CSRF check failed. Reload the page.")))
    return error_response(request, exc.status_code, {"detail": str(exc.message), "code": code})


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
