"""Page forms for learners. They only collect text: every rule lives in students.services.learner_clean, whose
errors come back onto these fields (keeping what was typed)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from lec.lib import levels, wording
from lec.lib.thai import format_date_input

from . import identity
from .models import (
    ADDRESS_KEYS,
    DISABILITIES,
    DISADVANTAGES,
    LEAVE_REASONS,
    PERSON_KEYS,
    PREFIXES,
    SHORTAGES,
    Gender,
    Status,
)

PERSON_LABELS = {
    "prefix": _("Prefix"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "occupation": _("Occupation"),
    "income": _("Income (baht a month)"),
    "phone": _("Phone"),
    "relation": _("Relation to the learner"),
}
ADDRESS_LABELS = {
    "house_no": _("House no."),
    "moo": _("Moo"),
    "road": _("Road"),
    "subdistrict": _("Subdistrict"),
    "district": _("District"),
    "province": _("Province"),
    "postcode": _("Postcode"),
}
PEOPLE = (("father", _("Father")), ("mother", _("Mother")), ("guardian", _("Guardian")))
ADDRESSES = (("registered_address", _("Registered address")), ("current_address", _("Current address")))
DATE_HELP = _("dd/mm/yyyy in the Buddhist Era, for example 15/05/2562")


def _text(label, required=False, **kw):
    return forms.CharField(label=label, required=False, **kw)


def level_choices(kind: str):
    return [("", _("Choose…"))] + [(c, levels.BY_CODE[c].short) for c in levels.taught_by(kind)]


class StyledForm(forms.Form):
    """Bootstrap classes and error ids on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect, forms.HiddenInput)):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", css)
        self.describe_hints()

    def describe_hints(self) -> None:
        """Point each input at its format hint (the id _field.html gives it), so a screen reader reads it."""
        for name, field in self.fields.items():
            if field.help_text and not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs["aria-describedby"] = f"id_{name}_help"

    def add_service_errors(self, errors: dict, mapping: dict | None = None) -> None:
        mapping = mapping or {}
        for key, messages in errors.items():
            name = mapping.get(key, key.replace(".", "_"))
            for message in messages:
                self.add_error(name if name in self.fields else None, message)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["aria-invalid"] = "true"
                hint = f" id_{name}_help" if self.fields[name].help_text else ""
                widget.attrs["aria-describedby"] = f"id_{name}_error{hint}"


class LearnerForm(StyledForm):
    identity = _text(
        _("National ID or G-Code"),
        max_length=40,
        help_text=_("13 digits (dashes allowed), or the G-Code for a learner without a national ID"),
    )
    prefix = forms.ChoiceField(
        label=_("Prefix"), choices=[("", _("Choose…"))] + [(p, p) for p in PREFIXES], required=False
    )
    first_name = _text(_("First name"), max_length=100)
    last_name = _text(_("Last name"), max_length=100)
    gender = forms.ChoiceField(
        label=_("Gender"),
        choices=[("", _("Follows the prefix"))] + list(Gender.choices),
        required=False,
    )
    birth_date = _text(_("Birth date"), max_length=20, help_text=DATE_HELP)
    class_level = forms.ChoiceField(label=_("Class level"), choices=(), required=False)
    room = _text(_("Room"), max_length=20, help_text=_("For example 1 or 2/1"))
    student_number = _text(_("Student number"), max_length=20)
    enrolled_on = _text(
        _("Enrolment date"), max_length=20, help_text=_("Leave empty for today. ") + DATE_HELP
    )
    nationality = _text(_("Nationality"), max_length=64)
    race = _text(_("Race"), max_length=64)
    religion = _text(_("Religion"), max_length=64)
    weight_kg = _text(_("Weight (kg)"), max_length=10)
    height_cm = _text(_("Height (cm)"), max_length=10)
    family_status = _text(_("Family status"), max_length=100)
    disadvantage = forms.ChoiceField(
        label=_("Disadvantage"), choices=[("", _("None"))] + list(DISADVANTAGES.items()), required=False
    )
    disability = forms.ChoiceField(
        label=_("Disability"), choices=[("", _("None"))] + list(DISABILITIES.items()), required=False
    )
    shortages = forms.MultipleChoiceField(
        label=_("Shortages"),
        choices=list(SHORTAGES.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    REQUIRED = ("identity", "prefix", "first_name", "last_name", "birth_date", "class_level")
    MAIN = (
        "identity",
        "prefix",
        "first_name",
        "last_name",
        "gender",
        "birth_date",
        "class_level",
        "room",
        "student_number",
        "enrolled_on",
    )
    MORE = ("nationality", "race", "religion", "weight_kg", "height_cm", "family_status")
    WELFARE = ("disadvantage", "disability", "shortages")

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_level"].choices = level_choices(organisation.kind)
        self.fields["class_level"].widget.choices = self.fields["class_level"].choices
        for key, _label in PEOPLE:
            for part in PERSON_KEYS:
                self.fields[f"{key}_{part}"] = forms.CharField(
                    label=PERSON_LABELS[part], required=False, max_length=200
                )
        for key, _label in ADDRESSES:
            for part in ADDRESS_KEYS:
                self.fields[f"{key}_{part}"] = forms.CharField(
                    label=ADDRESS_LABELS[part], required=False, max_length=200
                )
            self.fields[f"{key}_subdistrict"].help_text = _(
                "Type the subdistrict and choose it from the list: the district, province and postcode are filled in."
            )
            self.fields[f"{key}_subdistrict"].widget.attrs["data-list-label"] = _("Matching subdistricts")
        self._word_for_kind(organisation.kind)
        self.describe_hints()
        for name in self.REQUIRED:
            self.fields[name].widget.attrs["aria-required"] = "true"
            self.fields[name].label_suffix = ""
        for name in ("birth_date", "enrolled_on"):
            self.fields[name].widget.attrs.update(
                {"inputmode": "numeric", "placeholder": "วว/ดด/ปปปป", "autocomplete": "off"}
            )
        self.fields["identity"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        for field in self.fields.values():
            if not isinstance(field.widget, (forms.CheckboxSelectMultiple, forms.HiddenInput)):
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs.setdefault("class", css)

    def _word_for_kind(self, kind: str) -> None:
        """A CDC's form speaks of a child (เด็กเล็ก) and offers only the prefixes of a 2–5-year-old."""
        offered = wording.prefixes(kind, PREFIXES)
        current = self.data.get("prefix") if self.is_bound else self.initial.get("prefix")
        if current and current not in offered:
            offered = (*offered, current)  # keep an existing record's prefix visible so it can be corrected
        self.fields["prefix"].choices = [("", _("Choose…"))] + [(p, p) for p in offered]
        self.fields["student_number"].label = wording.for_kind(kind, "Student number")
        self.fields["identity"].help_text = wording.for_kind(
            kind, "13 digits (dashes allowed), or the G-Code for a learner without a national ID"
        )
        for key, _label in PEOPLE:
            self.fields[f"{key}_relation"].label = wording.for_kind(kind, "Relation to the learner")

    def bound(self, names):
        return [self[n] for n in names]

    def main_fields(self):
        return self.bound(self.MAIN)

    def more_fields(self):
        return self.bound(self.MORE)

    def welfare_fields(self):
        return self.bound(self.WELFARE)

    def _has_errors(self, names) -> bool:
        return self.is_bound and any(n in self.errors for n in names)

    def more_open(self):
        return self._has_errors(self.MORE)

    def welfare_open(self):
        return self._has_errors(self.WELFARE)

    def people_open(self):
        return self._has_errors([f"{k}_{p}" for k, _label in PEOPLE for p in PERSON_KEYS])

    def addresses_open(self):
        return self._has_errors([f"{k}_{p}" for k, _label in ADDRESSES for p in ADDRESS_KEYS])

    def people(self):
        return [(label, [self[f"{key}_{p}"] for p in PERSON_KEYS]) for key, label in PEOPLE]

    def addresses(self):
        return [(label, [self[f"{key}_{p}"] for p in ADDRESS_KEYS]) for key, label in ADDRESSES]

    def service_data(self) -> dict:
        """The form's values in api.md LearnerIn shape (raw text; the service validates)."""
        cd = self.cleaned_data
        raw = (cd.get("identity") or "").strip()
        key = identity.normalise(raw)
        data = {"national_id": None, "g_code": None}
        if key.startswith("G"):
            data["g_code"] = raw
        elif raw:
            data["national_id"] = raw
        for name in ("prefix", "first_name", "last_name", "gender", "birth_date", "class_level", "room",
                     "student_number", "enrolled_on", "nationality", "race", "religion", "weight_kg", "height_cm",
                     "family_status", "disadvantage", "disability", "shortages"):  # fmt: skip
            data[name] = cd.get(name)
        for key, _label in PEOPLE:
            data[key] = {p: cd.get(f"{key}_{p}") or "" for p in PERSON_KEYS}
        for key, _label in ADDRESSES:
            data[key] = {p: cd.get(f"{key}_{p}") or "" for p in ADDRESS_KEYS}
        return data

    ERROR_MAP = {"national_id": "identity", "g_code": "identity"}

    @staticmethod
    def initial_for(learner) -> dict:
        initial = {
            "identity": identity.format_national_id(learner.national_id)
            if learner.national_id
            else learner.g_code,
            "birth_date": format_date_input(learner.birth_date),
            "enrolled_on": format_date_input(learner.enrolled_on),
            "version": learner.version,
            "weight_kg": "" if learner.weight_kg is None else str(learner.weight_kg),
            "height_cm": "" if learner.height_cm is None else str(learner.height_cm),
            "disadvantage": learner.disadvantage or "",
            "disability": learner.disability or "",
            "shortages": learner.shortages or [],
        }
        for name in ("prefix", "first_name", "last_name", "gender", "class_level", "room", "student_number",
                     "nationality", "race", "religion", "family_status"):  # fmt: skip
            initial[name] = getattr(learner, name)
        for key, _label in PEOPLE:
            for p in PERSON_KEYS:
                value = (getattr(learner, key) or {}).get(p)
                initial[f"{key}_{p}"] = "" if value is None else value
        for key, _label in ADDRESSES:
            for p in ADDRESS_KEYS:
                initial[f"{key}_{p}"] = (getattr(learner, key) or {}).get(p) or ""
        return initial


class LeaveForm(StyledForm):
    reason = forms.ChoiceField(
        label=_("Why did the learner leave?"),
        choices=[(r, Status(r).label) for r in LEAVE_REASONS],
        widget=forms.RadioSelect,
        required=False,
    )
    left_on = _text(_("Date the learner left"), max_length=20, help_text=DATE_HELP)
    note = forms.CharField(
        label=_("Note (optional)"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["left_on"].widget.attrs.update({"inputmode": "numeric", "placeholder": "วว/ดด/ปปปป"})


class TransferRequestForm(StyledForm):
    identity = _text(_("National ID or G-Code of the learner"), max_length=40)
    class_level = forms.ChoiceField(label=_("Class level at your institution"), choices=(), required=False)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_level"].choices = level_choices(organisation.kind)


class RejectForm(StyledForm):
    reason = forms.CharField(
        label=_("Why is the transfer rejected?"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class IdentitySearchForm(StyledForm):
    identity = _text(_("National ID or G-Code"), max_length=40)
