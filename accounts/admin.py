"""Admin for users (with their organisation), tokens and the audit log; object permissions via guardian."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from lec.lib.net import client_ip

from .models import ApiToken, AuditLog, OrganisationUserObjectPermission, User
from .services import user_sign_out_everywhere
from .two_factor import devices_reset


class ObjectPermissionInline(admin.TabularInline):
    model = OrganisationUserObjectPermission
    extra = 0
    autocomplete_fields = ["content_object"]
    fields = ["permission", "content_object"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "permission":
            from django.contrib.auth.models import Permission

            from accounts.roles import ACTIONS

            kwargs["queryset"] = Permission.objects.filter(
                codename__in=ACTIONS, content_type__app_label="schools"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "organisation", "is_active", "last_login"]
    list_filter = ["is_active", "is_staff", "organisation__kind"]
    search_fields = [
        "username",
        "first_name",
        "last_name",
        "email",
        "organisation__code",
        "organisation__name_th",
    ]
    autocomplete_fields = ["organisation"]
    list_select_related = ["organisation"]
    fieldsets = BaseUserAdmin.fieldsets + ((_("LEC"), {"fields": ("organisation", "must_change_password")}),)
    inlines = [ObjectPermissionInline]
    actions = ["sign_out_everywhere", "reset_second_factor"]

    @admin.action(description=_("Sign out everywhere (end sessions, revoke API tokens)"))
    def sign_out_everywhere(self, request, queryset):
        for user in queryset:
            user_sign_out_everywhere(user=user, acting_user=request.user, ip=client_ip(request),
                                     keep_request=request if user.pk == request.user.pk else None)  # fmt: skip
        self.message_user(request, _("%(n)s accounts were signed out everywhere.") % {"n": len(queryset)})

    @admin.action(description=_("Reset the second factor (lost device)"))
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            devices_reset(user=user, acting_user=request.user, ip=client_ip(request))
        self.message_user(
            request,
            _("%(n)s accounts must enrol a second factor again at their next sign-in.")
            % {"n": len(queryset)},
        )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "expires_at", "revoked_at", "created_from"]
    readonly_fields = ["user", "key_hash", "created_at", "expires_at", "created_from"]
    search_fields = ["user__username"]


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["at", "username", "action", "organisation", "object_ref", "ip"]
    list_filter = ["action"]
    search_fields = ["user__username", "object_ref", "organisation__code"]
    readonly_fields = [f.name for f in AuditLog._meta.fields]
    list_select_related = ["user", "organisation"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # append-only; on PostgreSQL a trigger refuses UPDATE and DELETE too


# Devices are reset through the audited user action above, never deleted unrecorded in django-otp's own pages.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
