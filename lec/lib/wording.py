"""Words that depend on the kind of institution: a CDC (ศูนย์พัฒนาเด็กเล็ก) cares for เด็กเล็ก aged 2–5, whose
prefixes are เด็กชาย/เด็กหญิง and whose number is a เลขประจำตัวเด็ก; a school teaches นักเรียน.

Pages, messages, exports and import templates ask `for_kind(kind, msgid)` (templates: `{% kindword kind msgid %}`)
instead of gettext when the wording names the learners. The CDC variants carry the msgctxt "CDC" so a
translator sees the two apart; the school wording is the plain msgid every other page shares.
"""

from django.utils.translation import gettext, gettext_noop, pgettext_lazy

CDC = "cdc"

# Prefixes a person may carry (students.models.PREFIX_GENDER); a 2–5-year-old has only the first two.
CDC_PREFIXES = ("เด็กชาย", "เด็กหญิง")

# Column headings of files (Thai is the file's language whatever the page language is).
HEADINGS = {"student_number": ("เลขประจำตัวนักเรียน", "เลขประจำตัวเด็ก")}

_CDC = {
    gettext_noop("Learners"): pgettext_lazy("CDC", "Learners"),
    gettext_noop("learners"): pgettext_lazy("CDC", "learners"),
    gettext_noop("Add a learner"): pgettext_lazy("CDC", "Add a learner"),
    gettext_noop("Add the learner"): pgettext_lazy("CDC", "Add the learner"),
    gettext_noop("Edit learner"): pgettext_lazy("CDC", "Edit learner"),
    gettext_noop("The learner"): pgettext_lazy("CDC", "The learner"),
    gettext_noop("Student number"): pgettext_lazy("CDC", "Student number"),
    gettext_noop("Relation to the learner"): pgettext_lazy("CDC", "Relation to the learner"),
    gettext_noop("Why did the learner leave?"): pgettext_lazy("CDC", "Why did the learner leave?"),
    gettext_noop("Active learners now: %(n)s"): pgettext_lazy("CDC", "Active learners now: %(n)s"),
    gettext_noop("Search and filter learners"): pgettext_lazy("CDC", "Search and filter learners"),
    gettext_noop("%(n)s learners found"): pgettext_lazy("CDC", "%(n)s learners found"),
    gettext_noop("No learners yet."): pgettext_lazy("CDC", "No learners yet."),
    gettext_noop("No learner matches. Try fewer filters or another spelling."): pgettext_lazy(
        "CDC", "No learner matches. Try fewer filters or another spelling."
    ),
    gettext_noop("Active learners by class level and gender"): pgettext_lazy(
        "CDC", "Active learners by class level and gender"
    ),
    gettext_noop("No active learners yet."): pgettext_lazy("CDC", "No active learners yet."),
    gettext_noop("Learners you are confirming"): pgettext_lazy("CDC", "Learners you are confirming"),
    gettext_noop("No learners are recorded."): pgettext_lazy("CDC", "No learners are recorded."),
    gettext_noop("Once you confirm, editing learners is locked until your LAO unlocks it."): pgettext_lazy(
        "CDC", "Once you confirm, editing learners is locked until your LAO unlocks it."
    ),
    gettext_noop("Transfers"): pgettext_lazy("CDC", "Transfers"),
    gettext_noop("Check the learners"): pgettext_lazy("CDC", "Check the learners"),
    gettext_noop("%(n)s learners recorded now"): pgettext_lazy("CDC", "%(n)s learners recorded now"),
    gettext_noop("Open the roster"): pgettext_lazy("CDC", "Open the roster"),
    gettext_noop("Confirmation of learner numbers"): pgettext_lazy("CDC", "Confirmation of learner numbers"),
    gettext_noop("%(n)s active learners (%(m)s male, %(f)s female)"): pgettext_lazy(
        "CDC", "%(n)s active learners (%(m)s male, %(f)s female)"
    ),
    gettext_noop("Import learners"): pgettext_lazy("CDC", "Import learners"),
    gettext_noop("Import learners from Excel or CSV"): pgettext_lazy(
        "CDC", "Import learners from Excel or CSV"
    ),
    gettext_noop("Download learners"): pgettext_lazy("CDC", "Download learners"),
    gettext_noop("Which learners"): pgettext_lazy("CDC", "Which learners"),
    gettext_noop("%(name)s was added to the roster."): pgettext_lazy(
        "CDC", "%(name)s was added to the roster."
    ),
    gettext_noop(
        "13 digits (dashes allowed), or the G-Code for a learner without a national ID"
    ): pgettext_lazy("CDC", "13 digits (dashes allowed), or the G-Code for a learner without a national ID"),
    # The budget pages (budget/templates/budget/).
    gettext_noop("Lunch, milk and per-head subsidies from the confirmed headcounts."): pgettext_lazy(
        "CDC", "Lunch, milk and per-head subsidies from the confirmed headcounts."
    ),
    gettext_noop(
        "Both rounds are priced with the rates of the fiscal year shown, so a change comes from the confirmed pupils."
    ): pgettext_lazy(
        "CDC",
        "Both rounds are priced with the rates of the fiscal year shown, so a change comes from the confirmed pupils.",
    ),
    gettext_noop("Pupils"): pgettext_lazy("CDC", "Pupils"),
    gettext_noop("Pupils no rate covers"): pgettext_lazy("CDC", "Pupils no rate covers"),
    gettext_noop(
        "These confirmed pupils get no amount for the item named, because no rate of this fiscal year covers their class level or their institution's size."
    ): pgettext_lazy(
        "CDC",
        "These confirmed pupils get no amount for the item named, because no rate of this fiscal year covers their class level or their institution's size.",
    ),
    gettext_noop(
        "Computed from the confirmed snapshots of this round only. An institution's size is its number of confirmed pupils in all class levels; amounts are exact and rounded to the satang once, half up."
    ): pgettext_lazy(
        "CDC",
        "Computed from the confirmed snapshots of this round only. An institution's size is its number of confirmed pupils in all class levels; amounts are exact and rounded to the satang once, half up.",
    ),
    gettext_noop(
        "Each line is pupils × rate (× days for a daily rate). The amounts are exact; the total is rounded to the satang once."
    ): pgettext_lazy(
        "CDC",
        "Each line is pupils × rate (× days for a daily rate). The amounts are exact; the total is rounded to the satang once.",
    ),
    gettext_noop("%(n)s confirmed pupils"): pgettext_lazy("CDC", "%(n)s confirmed pupils"),
}
WORDS = tuple(_CDC)


def for_kind(kind: str | None, msgid: str) -> str:
    """MSGID in the current language, as a CDC says it when KIND is a CDC."""
    if kind == CDC and msgid in _CDC:
        return str(_CDC[msgid])
    return gettext(msgid)


def heading(kind: str | None, field: str, default: str) -> str:
    """A file's Thai column heading for FIELD (DEFAULT when it does not depend on the kind)."""
    school, cdc = HEADINGS.get(field, (default, default))
    return cdc if kind == CDC else school


def prefixes(kind: str | None, all_prefixes: tuple[str, ...]) -> tuple[str, ...]:
    """The prefixes offered for a learner of an institution of KIND."""
    return CDC_PREFIXES if kind == CDC else all_prefixes
