"""The one rule for what a viewer may see of a learner record (design.md, PDPA): whoever does not see identities
unmasked (`view_full_identity`: everyone above the LAO) gets the national ID and G-Code masked and the sensitive
fields (disability) blank. Pages, the API, exports (page, API and background job), the history page and the admin
all ask here; an export's audit row names `masked_fields(full)`."""

from . import identity

IDENTITY_FIELDS = ("national_id", "g_code")
# Sensitive personal data under the PDPA: shown only to the institution and its LAO, never above.
SENSITIVE_FIELDS = ("disability",)


def masked_fields(full: bool) -> list[str]:
    """The fields a viewer with (`full`) or without full identity access does not see as stored."""
    return [] if full else sorted((*IDENTITY_FIELDS, *SENSITIVE_FIELDS))


def hidden(field: str, full: bool) -> bool:
    """True when `field` is withheld altogether from this viewer (not even masked): a history page leaves its
    changes out."""
    return not full and field in SENSITIVE_FIELDS


def field_value(field: str, value, full: bool):
    """`value` of `field` as the viewer may see it: identities masked, sensitive fields None, the rest as is."""
    if full:
        return value
    if field in IDENTITY_FIELDS:
        return identity.mask(value)
    if field in SENSITIVE_FIELDS:
        return None
    return value


def identity_pair(national_id: str | None, g_code: str | None, full: bool) -> tuple[str | None, str | None]:
    return field_value("national_id", national_id, full), field_value("g_code", g_code, full)
