"""What every page's shell needs: the user's organisation, what they may do there, the open round."""

from accounts import policy
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
    }
