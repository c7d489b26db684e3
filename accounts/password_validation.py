"""Django's password validators with their rules and errors in our catalogue (Thai first): Django's own Thai
catalogue lacks them, so the first sign-in showed English. Same checks, only the words are ours."""

from django.contrib.auth import password_validation as django_validation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MinimumLengthValidator(django_validation.MinimumLengthValidator):
    def get_error_message(self):
        return ngettext(
            "This password is too short: use at least %(n)d character.",
            "This password is too short: use at least %(n)d characters.",
            self.min_length,
        ) % {"n": self.min_length}

    def get_help_text(self):
        return ngettext("At least %(n)d character.", "At least %(n)d characters.", self.min_length) % {
            "n": self.min_length
        }


class UserAttributeSimilarityValidator(django_validation.UserAttributeSimilarityValidator):
    def get_error_message(self):
        return _(
            "This password is too close to your %(verbose_name)s: choose one that has nothing to do with it."
        )

    def get_help_text(self):
        return _("Not like your user name, your name or your e-mail address.")


class CommonPasswordValidator(django_validation.CommonPasswordValidator):
    def get_error_message(self):
        return _("Many people use this password, so it is easy to guess: choose another.")

    def get_help_text(self):
        return _("Not a password many people use (such as 12345678 or password1).")


class NumericPasswordValidator(django_validation.NumericPasswordValidator):
    def get_error_message(self):
        return _("This password is only digits: add letters too.")

    def get_help_text(self):
        return _("Not only digits.")
