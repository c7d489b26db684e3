"""Forms of the budget pages: a rates file to load or check, a proposed rates file to preview."""

from django import forms
from django.utils.translation import gettext_lazy as _


class RatesUploadForm(forms.Form):
    file = forms.FileField(label=_("Rates file (CSV)"))
    dry_run = forms.BooleanField(label=_("Only check the file; save nothing"), required=False)


class WhatIfForm(forms.Form):
    file = forms.FileField(label=_("Proposed rates file (CSV)"))
