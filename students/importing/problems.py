"""A problem found in a learner file (`row R, column NAME: message`) and how the pages group and word them."""

import dataclasses

from django.utils.translation import gettext as _

KIND_ORDER = ("file", "missing", "identity", "duplicate", "active_elsewhere", "class_level", "date", "formula",
              "value")  # fmt: skip
_ACTIVE_AT = "active at "


@dataclasses.dataclass
class Problem:
    row: int
    column: str
    message: str
    kind: str = "value"
    col: int | None = None  # 0-based column index, for the annotated workbook

    def line(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def active_elsewhere_line(code: str) -> str:
    """The message of an `active_elsewhere` problem (worded for the user by problem_text)."""
    return f"{_ACTIVE_AT}{code}"


def problem_text(problem: dict) -> str:
    """A problem as the pages show it, in the user's language."""
    if problem["kind"] == "active_elsewhere":
        code = problem["message"].removeprefix(_ACTIVE_AT)
        return _("Enrolled at another institution (%(code)s). Ask for a transfer instead.") % {"code": code}
    return problem["message"]


def kind_label(kind: str) -> str:
    return {
        "missing": _("Empty required cells"),
        "identity": _("National IDs and G-Codes"),
        "duplicate": _("The same learner twice in the file"),
        "active_elsewhere": _("Enrolled at another institution"),
        "class_level": _("Class levels"),
        "date": _("Dates"),
        "formula": _("Formulas instead of values"),
        "value": _("Other values"),
    }.get(kind, _("Other values"))


def grouped_problems(problems: list[dict]) -> list[tuple[str, list[dict]]]:
    groups: dict[str, list[dict]] = {}
    for p in problems:
        groups.setdefault(p["kind"] if p["kind"] in KIND_ORDER else "value", []).append(p)
    return [(kind_label(k), groups[k]) for k in KIND_ORDER if k in groups]
