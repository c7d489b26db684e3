"""Domain errors with a stable code (api.md "Errors"); mapped to HTTP in lec/api.py and to pages in lec/views.py."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A refused action. `code` is the api.md code; `extra` goes into the JSON body (blockers, holder)."""

    status = 409
    code = "invalid_transition"
    default_message = _("This action is not allowed now.")

    def __init__(self, message=None, *, code: str | None = None, **extra):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.extra = extra
        super().__init__(str(self.message))

    def body(self) -> dict:
        return {"detail": str(self.message), "code": self.code, **self.extra}


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = _("You do not have permission to do this.")


class Invalid(DomainError):
    """Bad input: `errors` maps a dotted field path to its messages."""

    status = 400
    code = "invalid"
    default_message = _("Some of the data is not valid.")

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
