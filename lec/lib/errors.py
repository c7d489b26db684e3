"""Domain errors with a stable code (api.md "Errors"); mapped to HTTP in lec/api.py and to pages in lec/views.py."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Code:
    """The stable codes of api.md "Errors": the one list; write `Code.CONFIRMED_LOCKED`, never the string."""

    INVALID = "invalid"
    NOT_AUTHENTICATED = "not_authenticated"
    OTP_REQUIRED = "otp_required"
    FORBIDDEN = "forbidden"
    OTP_REQUIRED = "otp_required"
    NOT_FOUND = "not_found"
    THROTTLED = "throttled"
    CONFIRMED_LOCKED = "confirmed_locked"
    CHILDREN_NOT_CONFIRMED = "children_not_confirmed"
    HEADCOUNTS_MISSING = "headcounts_missing"
    PARENT_CONFIRMED = "parent_confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    NOT_CONFIRMED = "not_confirmed"
    ROUND_NOT_OPEN = "round_not_open"
    ROUND_EXISTS = "round_exists"
    INVALID_TRANSITION = "invalid_transition"
    IDENTITY_ACTIVE_ELSEWHERE = "identity_active_elsewhere"
    STALE_VERSION = "stale_version"
    NOT_ACTIVE = "not_active"
    ALREADY_PENDING = "already_pending"
    ALREADY_DECIDED = "already_decided"


class DomainError(Exception):
    """A refused action. `code` is the api.md code; `extra` goes into the JSON body (blockers, holder)."""

    status = 409
    code = Code.INVALID_TRANSITION
    default_message = gettext_lazy("This action is not allowed now.")

    def __init__(self, message=None, *, code: str | None = None, **extra):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.extra = extra
        super().__init__(str(self.message))

    def body(self) -> dict:
        return {"detail": str(self.message), "code": self.code, **self.extra}

    def headers(self) -> dict[str, str]:
        """HTTP headers the answer needs besides the body (a 429's Retry-After); lec/api.py sets them."""
        return {}


class FileProblems(DomainError):
    """A file refused whole, with one line per problem (`line N: reason`): the organisation loader and user
    provisioning raise it (as their own subclasses), the command prints the lines, the page lists them."""

    status = 400
    code = Code.INVALID

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))


class NotFound(DomainError):
    status = 404
    code = Code.NOT_FOUND
    default_message = gettext_lazy("Not found.")


class Forbidden(DomainError):
    status = 403
    code = Code.FORBIDDEN
    default_message = gettext_lazy("You do not have permission to do this.")


class NotAuthenticated(DomainError):
    status = 401
    code = Code.NOT_AUTHENTICATED
    default_message = gettext_lazy("Log in first.")


class Throttled(DomainError):
    """Too many attempts: answered 429 with `Retry-After: retry_after` seconds."""

    status = 429
    code = Code.THROTTLED
    default_message = gettext_lazy("Too many requests. Try again later.")

    def __init__(self, message=None, *, retry_after: int):
        self.retry_after = retry_after
        super().__init__(message)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Invalid(DomainError):
    """Bad input: `errors` maps a dotted field path to its messages."""

    status = 400
    code = Code.INVALID
    default_message = gettext_lazy("Some of the data is not valid.")

    def __init__(self, errors: dict[str, list] | None = None, message=None):
        self.errors = {k: [str(m) for m in v] for k, v in (errors or {}).items()}
        super().__init__(message)

    def body(self) -> dict:
        first = next(iter(self.errors.values()), [None])[0]
        return {"detail": str(first or self.message), "code": self.code, "errors": self.errors}

    @classmethod
    def from_validation_error(cls, exc: ValidationError) -> "Invalid":
        if hasattr(exc, "error_dict"):
            errors = {
                ("__all__" if k == "__all__" else k): [str(m) for m in v] for k, v in exc.message_dict.items()
            }
        else:
            errors = {"__all__": [str(m) for m in exc.messages]}
        return cls(errors)


def invalid(field: str, message) -> Invalid:
    return Invalid({field: [message]})


def learners_locked(organisation) -> DomainError:
    """The one refusal for a learner write to an institution whose confirmation is confirmed (design.md rule 7)."""
    return DomainError(
        _("%(name)s has confirmed its data for this round; ask its LAO to cancel the confirmation first.")
        % {"name": organisation.name_th},
        code=Code.CONFIRMED_LOCKED,
    )


def other_schools_locked(lao) -> DomainError:
    """The one refusal for an other-affiliation write while the LAO's `other_schools` scope is confirmed."""
    return DomainError(
        _(
            "The other-affiliation headcounts of %(lao)s are confirmed for this round; ask the province "
            "to unlock them before making changes."
        )
        % {"lao": lao.name_th},
        code=Code.CONFIRMED_LOCKED,
    )
