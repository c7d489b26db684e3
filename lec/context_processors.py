"""What every page's shell needs: the user's organisation, what they may do there, the open round, the unread
notifications for the bell."""

from accounts import policy
from confirmations.notifications import unread_count_cached
from confirmations.selectors import banner_round


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    org = user.organisation
    return {
        "my_org": org,
        "my_actions": set(policy.actions_on(user, org)) if org else set(),
        "open_round": banner_round(),
        "unread": unread_count_cached(user),  # the bell in the menu bar; cached, not a query per page
    }
