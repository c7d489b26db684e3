"""A new password, whatever set it (the pages, a reset, the admin's form, manage.py changepassword, provisioning),
revokes every API token of the user (api.md "A password change or reset revokes every token"). Other sessions
end by themselves: the session hash is made from the password."""

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from .models import ApiToken, User


@receiver(post_save, sender=User)
def revoke_tokens_on_new_password(sender, instance, created, **kwargs):
    # AbstractBaseUser.set_password keeps the raw password in `_password` until the save has finished.
    if not created and getattr(instance, "_password", None) is not None:
        ApiToken.objects.filter(user=instance, revoked_at__isnull=True).update(revoked_at=timezone.now())
