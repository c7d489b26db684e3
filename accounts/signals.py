"""A new password, whatever set it (the pages, a reset, the admin's form, manage.py changepassword, provisioning),
revokes every API token of the user (api.md "A password change or reset revokes every token"). Other sessions
end by themselves: the session hash is made from the password."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import ApiToken, User


@receiver(post_save, sender=User)
def revoke_tokens_on_new_password(sender, instance, created, **kwargs):
    # AbstractBaseUser.set_password keeps the raw password in `_password` until the save has finished.
    if not created and getattr(instance, "_password", None) is not None:
        ApiToken.objects.filter(user=instance, revoked_at__isnull=True).update(revoked_at=timezone.now())


@receiver(post_save, sender=TOTPDevice)
@receiver(post_save, sender=StaticDevice)
@receiver(post_delete, sender=TOTPDevice)
@receiver(post_delete, sender=StaticDevice)
def keep_second_factor_flag(sender, instance, **kwargs):
    """`User.has_second_factor` follows the user's confirmed devices, however a device was saved or deleted."""
    user = User.objects.filter(pk=instance.user_id).first()
    if user is None:
        return
    flag = user_has_device(user, confirmed=True)
    if flag != user.has_second_factor:
        User.objects.filter(pk=user.pk).update(has_second_factor=flag)
    held = instance._state.fields_cache.get("user")  # the caller's own user object (e.g. request.user)
    if held is not None:
        held.has_second_factor = flag
