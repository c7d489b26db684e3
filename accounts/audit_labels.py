"""Thai labels (through gettext) for the audit log's action names, shown on the organisation's audit page."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "learner_view": _("Viewed a learner record"),
    "learner_list": _("Listed learner records"),
    "learner_history_view": _("Viewed a learner's history"),
    "identity_search": _("Searched by national ID"),
    "export_learners": _("Exported learners"),
    "export_headcounts": _("Exported headcounts"),
    "export_budget": _("Exported a budget estimate"),
    "download_export": _("Downloaded an export"),
    "download_problems": _("Downloaded the problems workbook"),
    "admin_export": _("Exported from the admin"),
    "import_learners": _("Imported learners"),
    "edit_learners": _("Edited learners"),
    "other_school_add": _("Added an other-affiliation school"),
    "other_school_close": _("Closed an other-affiliation school"),
    "other_school_reopen": _("Reopened an other-affiliation school"),
    "other_headcounts_save": _("Saved other-affiliation headcounts"),
    "load_organisations": _("Loaded organisations"),
    "load_budget_rates": _("Loaded budget rates"),
    "round_create": _("Created a round"),
    "round_open": _("Opened a round"),
    "round_close": _("Closed a round"),
    "provision_users": _("Provisioned accounts"),
    "download_passwords": _("Downloaded initial passwords"),
    "password_change": _("Changed own password"),
    "password_reset_request": _("Asked for a password reset e-mail"),
    "password_reset_done": _("Reset a password by e-mail link"),
    "password_reset_by_officer": _("Reset an account's password"),
    "token_issue": _("Issued an API token"),
    "token_revoke": _("Revoked an API token"),
    "sign_out_everywhere": _("Signed out everywhere"),
    "2fa_enrol": _("Enrolled a second factor"),
    "2fa_recovery_codes": _("Made new recovery codes"),
    "2fa_reset": _("Reset a lost second factor"),
    "institution_remind": _("Sent a reminder to confirm"),
}


def label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
