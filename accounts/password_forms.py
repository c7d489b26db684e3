"""The password-change form in plain Thai: the initial password named as such, the rules listed before typing,
every error ours (Django's built-in messages have no Thai), inputs styled like the other forms."""

from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import gettext_lazy as _


class StyledPasswordChangeForm(PasswordChangeForm):
    error_messages = {
        "password_incorrect": _(
            "This is not your current password. Type it again, exactly as it is written."
        ),
        "password_mismatch": _("The two new passwords are not the same. Type the same new password twice."),
    }

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        old = self.fields["old_password"]
        if user.must_change_password:
            old.label = _("Initial password")
            old.help_text = _("The password on the sheet your officer gave you when your account was made.")
        else:
            old.label = _("Current password")
        old.error_messages["required"] = _("Type your current password.")
        new1, new2 = self.fields["new_password1"], self.fields["new_password2"]
        new1.label, new2.label = _("New password"), _("New password again")
        new1.error_messages["required"] = _("Choose a new password.")
        new2.error_messages["required"] = _("Type the new password again.")
        new2.help_text = _("The same new password, to be sure it was typed right.")
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control"
