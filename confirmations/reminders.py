"""An LAO's reminder to one institution holding it back: a notification to the institution's users, at most once
per REMINDER_GAP per institution, with an audit row naming who sent it."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit
from lec.lib import thai
from lec.lib.errors import Code, DomainError
from schools.models import Organisation, Round

from . import notifications, tasks
from .models import Notification, Scope
from .selectors.home import REMINDER_GAP, last_reminded

NUDGE = Notification.Kind.NUDGE


def institution_remind(
    *,
    acting_user,
    round_: Round,
    institution: Organisation,
    ip: str | None = None,
    now: datetime | None = None,
) -> Notification:
    """Remind `institution` to check and confirm its learners; refused (throttled) within REMINDER_GAP of the last."""
    now = now or timezone.now()
    with transaction.atomic():
        # the row lock makes two officers clicking at once send one reminder, not two
        Organisation.objects.select_for_update(no_key=True).filter(pk=institution.pk).first()
        last = last_reminded([institution.pk]).get(institution.pk)
        if last is not None and now - last < REMINDER_GAP:
            raise DomainError(
                _("%(name)s was reminded on %(when)s; you can remind it again from %(next)s.")
                % {
                    "name": institution.name_th,
                    "when": thai.format_datetime(timezone.localtime(last)),
                    "next": thai.format_datetime(timezone.localtime(last + REMINDER_GAP)),
                },
                code=Code.THROTTLED,
            )
        note = notifications.notification_create(
            kind=NUDGE, round_=round_, organisation=institution, subject=institution, scope=Scope.LEARNERS,
            reason="", deliver=tasks.deliver_after_commit,
        )  # fmt: skip
        audit(
            acting_user=acting_user, action="institution_remind", organisation=institution,
            object_ref=institution.code, ip=ip, round=round_.pk,
        )  # fmt: skip
    return note
