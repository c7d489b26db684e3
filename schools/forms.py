"""Forms of the schools pages: the other-affiliation headcount grid (one request for every school of the LAO) and
the LAO's add/close forms for its other-affiliation schools."""

import dataclasses
import functools

from django import forms
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lec.lib import thai

from .models import Affiliation
from .services import CountError, entry_version, levels_label, parse_count

GENDERS = ("male", "female")


def field_name(code: str, level: str, gender: str) -> str:
    """The input name of one cell; the same string is the key of the service's error for that cell."""
    return f"{code}.{level}.{gender}"


def closed_name(code: str) -> str:
    return f"{code}.closed"


def field_id(name: str) -> str:
    return "f-" + name.replace(".", "-")


@dataclasses.dataclass
class Cell:
    name: str
    value: str
    error: str = ""

    @property
    def id(self) -> str:
        return field_id(self.name)

    @functools.cached_property
    def number(self) -> int:
        try:
            return parse_count(self.value)
        except CountError:
            return 0


@dataclasses.dataclass
class LevelCells:
    level: object  # lec.lib.levels.Level
    male: Cell
    female: Cell

    @property
    def total(self) -> int:
        return self.male.number + self.female.number

    @property
    def has_error(self) -> bool:
        return bool(self.male.error or self.female.error)


@dataclasses.dataclass
class SchoolRows:
    school: object
    entry: object
    closed: bool
    closed_error: str
    cells: list[LevelCells]
    copied: bool = False
    gender_rows: list = dataclasses.field(default_factory=list)  # (gender, label, cells as HTML, total)
    level_head: str = ""  # the row of level labels above this school's cells, as HTML
    other_errors: list = dataclasses.field(default_factory=list)  # (field id, message) not on a shown cell
    levels_error: str = ""
    levels_control: str = ""  # the "class levels taught" checkboxes, as HTML ("" when not editable)
    suggestion: tuple | None = None  # (round, level codes) suggested when the levels are not known

    @property
    def levels_label(self) -> str:
        taught = self.school.levels_taught
        return levels_label(taught) if taught is not None else ""

    @property
    def levels_name(self) -> str:
        return f"{self.school.code}.teaches"

    @property
    def levels_id(self) -> str:
        return field_id(f"{self.school.code}.levels")

    @property
    def suggestion_label(self) -> str:
        return levels_label(self.suggestion[1]) if self.suggestion else ""

    @property
    def version_name(self) -> str:
        return f"{self.school.code}.version"

    @property
    def version(self) -> str:
        return entry_version(self.entry)

    @property
    def closed_name(self) -> str:
        return closed_name(self.school.code)

    @property
    def closed_id(self) -> str:
        return field_id(self.closed_name)

    @property
    def summary_errors(self) -> list[tuple[str, str]]:
        """(field id, message naming the school) for the page's error summary."""
        return [(id_, f"{self.school.name_th} · {message}") for id_, message in self.errors]

    @property
    def errors(self) -> list[tuple[str, str]]:
        """(field id, message) for the school's own list of problems."""
        found = [(self.closed_id, self.closed_error)] if self.closed_error else []
        if self.levels_error:
            found.append((self.levels_id, self.levels_error))
        found += self.other_errors
        for c in self.cells:
            for gender, cell in (("male", c.male), ("female", c.female)):
                if cell.error:
                    found.append((cell.id, f"{c.level.short} {_gender_label(gender)}: {cell.error}"))
        return found

    @property
    def male(self) -> int:
        return sum(c.male.number for c in self.cells)

    @property
    def female(self) -> int:
        return sum(c.female.number for c in self.cells)

    @property
    def total(self) -> int:
        return self.male + self.female


def genders() -> list[tuple[str, str]]:
    return [("male", _("Male")), ("female", _("Female"))]


def _gender_label(gender: str) -> str:
    return _("Male") if gender == "male" else _("Female")


def _shown(counts: dict, levels, closed: bool) -> dict:
    """Saved counts as the cells show them: zeros blank so the figures stand out, except for an open school
    whose every count is 0, which shows its zeros (blank everywhere would read as "not entered")."""
    keep_zeros = not closed and not any(m or f for m, f in counts.values())
    values = {}
    for lvl in levels:
        for i, gender in enumerate(GENDERS):
            n = counts.get(lvl.code, (0, 0))[i]
            values[(lvl.code, gender)] = str(n) if n or keep_zeros else ""
    return values


def _cells_html(row: "SchoolRows", gender: str, label: str, editable: bool, levels) -> SafeString:
    """One gender's row of inputs, a column per level of the grid; a level the school does not teach is an empty
    cell with no input. Built here rather than with a template include per cell: a 40-school grid has 1,520
    inputs and an include each took most of the page's time. Every value is escaped."""
    school = escape(row.school.name_th)
    label = escape(label)
    disabled = "" if editable else " disabled"
    parts = []
    by_level = {c.level.code: c for c in row.cells}
    for lvl in levels:
        c = by_level.get(lvl.code)
        if c is None:
            parts.append('<td class="cell not-taught"></td>')
            continue
        cell = c.male if gender == "male" else c.female
        cid = escape(cell.id)
        if cell.error:
            td, extra = "cell has-error", f' aria-invalid="true" aria-describedby="e-{cid}"'
        else:
            td, extra = "cell", ""
        parts.append(
            f'<td class="{td}"><input type="text" inputmode="numeric" autocomplete="off" '
            f'class="form-control js-count{" is-invalid" if cell.error else ""}" id="{cid}" name="{escape(cell.name)}" '
            f'value="{escape(cell.value)}" data-level="{c.level.code}" '
            f'aria-label="{school} · {escape(c.level.short)} · {label}"{extra}{disabled}></td>'
        )
    return mark_safe("".join(parts))  # noqa: S308 — built from escaped parts only


def _level_head(levels, taught) -> SafeString:
    """The labels above one school's cells: the class levels it teaches, each over its own column of the grid."""
    cells = "".join(
        f'<td><abbr title="{escape(lvl.full)}">{escape(lvl.short)}</abbr></td>'
        if lvl.code in taught
        else "<td></td>"
        for lvl in levels
    )
    return mark_safe(  # noqa: S308 — built from escaped parts only
        f'<tr class="level-head" aria-hidden="true"><td class="sticky-col"></td>{cells}'
        f"<td>{escape(_('Total'))}</td></tr>"
    )


def _levels_control(row: "SchoolRows", checked) -> SafeString:
    """The "class levels taught" checkboxes of one school, grouped as a user reads them (pre-primary, primary,
    lower and upper secondary, vocational). Inside the grid's form: its own submit button sends them."""
    from lec.lib.levels import LEVELS, SCHOOL_CODES

    groups = {
        "pre_primary": _("Pre-primary"),
        "primary": _("Primary"),
        "lower_secondary": _("Lower secondary"),
        "upper_secondary": _("Upper secondary"),
        "vocational": _("Vocational"),
    }
    school = escape(row.school.name_th)
    name = escape(row.levels_name)
    parts = []
    for group, label in groups.items():
        boxes = []
        for lvl in LEVELS:
            if lvl.group != group or lvl.code not in SCHOOL_CODES:
                continue
            bid = escape(field_id(f"{row.school.code}.teaches.{lvl.code}"))
            if not boxes and group == "pre_primary":
                bid = escape(row.levels_id)  # the error summary's link lands on the first box
            tick = " checked" if lvl.code in checked else ""
            boxes.append(
                f'<label class="level-box" for="{bid}"><input type="checkbox" class="form-check-input" id="{bid}" '
                f'name="{name}" value="{lvl.code}"{tick}><span>{escape(lvl.short)}</span>'
                f'<span class="visually-hidden"> · {school}</span></label>'
            )
        parts.append(
            f'<div class="level-group"><span class="level-group-name">{escape(label)}</span>{"".join(boxes)}</div>'
        )
    return mark_safe("".join(parts))  # noqa: S308 — built from escaped parts only


def grid_rows(
    grid, *, typed=None, errors=None, previous=None, editable=True, suggestions=None
) -> list[SchoolRows]:
    """What the grid page shows per school: the values typed (after a refused save), else the saved counts, else
    the previous round's counts when copying (`previous` = {school id: (closed, counts)}), else blanks. Each
    school shows only its own class levels (row.levels); a problem about a level not shown is listed with the
    school's own problems. `suggestions` ({school id: (round, codes)}) pre-tick the levels control."""
    from lec.lib.levels import SCHOOL_CODES

    typed = typed or {}
    errors = errors or {}
    previous = previous or {}
    suggestions = suggestions or {}
    rows = []
    for row in grid.rows:
        code = row.school.code
        copied = False
        if code in typed:
            closed, values = typed[code]
        elif row.entered:
            closed, values = row.closed, _shown(row.counts, grid.levels, row.closed)
        elif row.school.pk in previous:
            closed, counts = previous[row.school.pk]
            values, copied = _shown(counts, grid.levels, closed), True
        else:
            closed, values = False, {}
        cells = []
        for lvl in row.levels:
            pair = []
            for gender in GENDERS:
                name = field_name(code, lvl.code, gender)
                pair.append(Cell(name, values.get((lvl.code, gender), ""), " ".join(errors.get(name, []))))
            cells.append(LevelCells(lvl, *pair))
        shown = SchoolRows(
            row.school, row.entry, closed, " ".join(errors.get(closed_name(code), [])), cells, copied
        )
        shown.level_head = _level_head(grid.levels, {lvl.code for lvl in row.levels})
        shown.levels_error = " ".join(errors.get(f"{code}.levels", []))
        rendered = {c.male.name for c in cells} | {c.female.name for c in cells}
        rendered |= {closed_name(code), f"{code}.levels"}
        shown.other_errors = [
            (shown.closed_id, message)
            for key, messages in errors.items()
            if key.startswith(code + ".") and key not in rendered
            for message in messages
        ]
        if row.school.pk in suggestions:
            shown.suggestion = suggestions[row.school.pk]
        if editable:
            taught = row.school.levels_taught
            checked = (
                taught if taught is not None else (shown.suggestion[1] if shown.suggestion else SCHOOL_CODES)
            )
            shown.levels_control = _levels_control(shown, set(checked))
        shown.gender_rows = [
            (
                gender,
                label,
                _cells_html(shown, gender, label, editable, grid.levels),
                shown.male if gender == "male" else shown.female,
            )
            for gender, label in genders()
        ]
        rows.append(shown)
    return rows


def grid_versions(data, grid) -> dict[str, str]:
    """{school code: the entry version the page was showing} from the grid's POST (absent: no check)."""
    return {
        r.school.code: data[f"{r.school.code}.version"]
        for r in grid.rows
        if f"{r.school.code}.version" in data
    }


def grid_post(data, grid) -> tuple[dict, dict, dict]:
    """Read the grid's POST: (entries for the service, what was typed per school, page-level errors).

    A school left entirely blank and not ticked closed is not sent: it stays "not entered" rather than becoming
    a school with 0 learners. One that had an entry and was blanked is an error, not a silent change."""
    from lec.lib.levels import LEVELS, SCHOOL_CODES

    entries, typed, errors = {}, {}, {}
    for row in grid.rows:
        code = row.school.code
        closed = data.get(closed_name(code)) in ("1", "on", "true")
        values = {}
        counts = []
        shown = {lvl.code for lvl in row.levels}
        for lvl in LEVELS:
            if lvl.code not in SCHOOL_CODES:
                continue
            raw = {g: data.get(field_name(code, lvl.code, g), "") for g in GENDERS}
            # A level the page did not offer (tampering, or an old page) is sent on only if it holds a number, for
            # the service to refuse by name; blanks and zeros there mean nothing.
            if lvl.code not in shown and all(thai.clean_text(v) in ("", "0") for v in raw.values()):
                continue
            item = {"class_level": lvl.code}
            for gender in GENDERS:
                values[(lvl.code, gender)] = raw[gender]
                item[gender] = raw[gender]
            counts.append(item)
        typed[code] = (closed, values)
        blank = all(thai.clean_text(v) == "" for v in values.values())
        if blank and not closed:
            if row.entered:
                errors[closed_name(code)] = [
                    _("Enter this school's numbers of learners, or tick “closed” if it has closed.")
                ]
            continue
        entries[code] = {"closed": closed, "counts": counts}
    return entries, typed, errors


class OtherSchoolAddForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("School code"),
        max_length=32,
        help_text=gettext_lazy(
            "The code the school's own affiliation gives it, for example the OBEC 10-digit code."
        ),
    )
    name_th = forms.CharField(label=gettext_lazy("Name in Thai"), max_length=255)
    name_en = forms.CharField(
        label=gettext_lazy("Name in English (optional)"), max_length=255, required=False
    )
    affiliation = forms.ChoiceField(
        label=gettext_lazy("Affiliation"), choices=[("", "—")] + list(Affiliation.choices)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs.setdefault("class", css)
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}_help"
        self.fields["code"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})


class OtherSchoolCloseForm(forms.Form):
    closed_on = forms.CharField(
        label=gettext_lazy("Date the school closed"),
        help_text=gettext_lazy("dd/mm/yyyy in the Buddhist Era, for example 15/05/2569."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["closed_on"].widget.attrs.update(
            {"class": "form-control", "aria-describedby": "id_closed_on_help", "autocomplete": "off"}
        )

    def clean_closed_on(self):
        try:
            return thai.parse_date(self.cleaned_data["closed_on"])
        except thai.DateParseError as exc:
            raise forms.ValidationError(str(exc)) from None


def level_totals(rows: list[SchoolRows], levels) -> list[tuple[object, int, int]]:
    """(level, male, female) over the schools shown, from what the page shows (so totals match the cells)."""
    sums = {lvl.code: [0, 0] for lvl in levels}
    for row in rows:
        for c in row.cells:
            sums[c.level.code][0] += c.male.number
            sums[c.level.code][1] += c.female.number
    return [(lvl, *sums[lvl.code]) for lvl in levels]
