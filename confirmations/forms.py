"""Forms of the confirmation pages: a reason (unlock, request, reject) and a new round."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lec.lib import thai

from .models import Scope


class ReasonForm(forms.Form):
    scope = forms.ChoiceField(choices=Scope.choices, initial=Scope.LEARNERS)
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class ThaiDateField(forms.CharField):
    """dd/mm/yyyy in the Buddhist Era (Thai digits accepted)."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return thai.parse_date(value)
        except (ValueError, TypeError):
            raise forms.ValidationError(
                _("Enter the date as dd/mm/yyyy in the Buddhist Era, e.g. 10/11/2569.")
            )


class RoundForm(forms.Form):
    # Field-specific messages instead of Django's "Ensure this value is greater than or equal to 2500."
    academic_year = forms.IntegerField(
        label=_("Academic year (B.E.)"),
        min_value=2500,
        max_value=2700,
        error_messages={
            "required": _("Enter the academic year in the Buddhist Era, for example 2569."),
            "invalid": _("Enter the academic year as 4 digits in the Buddhist Era, for example 2569."),
            "min_value": _("Enter the academic year in the Buddhist Era (2500 or later), for example 2569."),
            "max_value": _(
                "Enter the academic year in the Buddhist Era (2700 or earlier), for example 2569."
            ),
        },
    )
    term = forms.TypedChoiceField(
        label=_("Term"),
        choices=[(1, "1"), (2, "2")],
        coerce=int,
        error_messages={"required": _("Choose term 1 or 2."), "invalid_choice": _("Choose term 1 or 2.")},
    )
    census_date = ThaiDateField(
        label=_("Census date"),
        help_text=_("dd/mm/yyyy, e.g. 10/11/2569"),
        error_messages={"required": _("Enter the census date, for example 10/11/2569.")},
    )
    opens_on = ThaiDateField(
        label=_("Opens on"),
        help_text=_("The round opens at 08:00 on the date you enter."),
        error_messages={"required": _("Enter the date the round opens, for example 01/11/2569.")},
    )
    closes_on = ThaiDateField(
        label=_("Closes on"),
        help_text=_("The round closes at 16:30 on the date you enter."),
        error_messages={"required": _("Enter the date the round closes, for example 15/11/2569.")},
    )

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_on"), data.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", _("The round must close after it opens."))
        return data

    @property
    def round_fields(self) -> dict:
        d = self.cleaned_data
        tz = timezone.get_current_timezone()
        return {
            "academic_year": d["academic_year"],
            "term": d["term"],
            "census_date": d["census_date"],
            "opens_at": datetime.datetime.combine(d["opens_on"], datetime.time(8, 0), tzinfo=tz),
            "closes_at": datetime.datetime.combine(d["closes_on"], datetime.time(16, 30), tzinfo=tz),
        }


class UnlockRequestForm(forms.Form):
    """An institution's (or LAO's) request to its parent: what must be corrected, and why."""

    scope = forms.ChoiceField(choices=Scope.choices, initial=Scope.LEARNERS, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("What must be corrected, and why?"),
        help_text=_("For example: two learners of ป.1 were entered twice; we need to remove one record."),
        max_length=1000,
        error_messages={"required": _("Say what must be corrected and why, so the LAO can decide.")},
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class BulkUnlockForm(forms.Form):
    """The province's or department's unlock of the ticked children: one reason for all."""

    codes = forms.MultipleChoiceField(
        choices=(), error_messages={"required": _("Tick at least one organisation to unlock.")}
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        error_messages={
            "required": _("Give the reason for the unlock: the organisations unlocked are told it.")
        },
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )

    def __init__(self, *args, codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["codes"].choices = [(c, c) for c in codes]
