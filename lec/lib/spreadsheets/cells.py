"""A spreadsheet cell as text: header comparison, blanks, and plain text values."""

import datetime as dt
import re

from django.utils.translation import gettext as _

from lec.lib.thai import clean_text

_INVISIBLE_SPACE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff\xa0]+")
_ESCAPED = re.compile(r"^'[=+\-@\t\r]")
_BLANKS = {"", "-", "–", "—"}
_BLANK_STRIP = " \t\r\n\xa0\u200b\u200c\u200d\u2060\ufeff"


class CellValueError(ValueError):
    """One cell's value cannot be read; `kind` groups the problem on the pages (value, identity, date ...)."""

    def __init__(self, message: str, kind: str = "value"):
        self.message = message
        self.kind = kind
        super().__init__(message)


def header_key(text) -> str:
    """Header text as compared: no whitespace or zero-width characters, lower case."""
    return _INVISIBLE_SPACE.sub("", str(text or "")).lower()


def cell_text(value) -> str:
    return clean_text(value) if value is not None else ""


def is_blank(value) -> bool:
    """Empty, or a dash standing for nothing."""
    return value is None or (value.__class__ is str and value.strip(_BLANK_STRIP) in _BLANKS)


def plain(value) -> str:
    """A text cell; numbers without a spurious '.0'; dates are a problem (Excel turned the value into a date)."""
    if isinstance(value, dt.datetime | dt.date):
        raise CellValueError(
            _("Excel turned this value into a date. Format the column as text and type it again.")
        )
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = clean_text(value)
    if _ESCAPED.match(text):
        text = text[1:]
    return "" if text in _BLANKS else text
