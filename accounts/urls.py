"""Login, logout, password change and reset, the account page (two-factor, sign out everywhere), an officer's
password resets and audit trail, and the department's account provisioning under /manage/users/."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_account, views_manage, views_officer

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),  # fmt: skip
    path(
        "password/reset/complete/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    path("account/", views_account.account, name="account"),
    path("account/two-factor/", views_account.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/code/", views_account.two_factor_verify, name="two_factor_verify"),
    path("account/two-factor/recovery-codes/", views_account.recovery_codes_new, name="recovery_codes_new"),
    path("account/sign-out-everywhere/", views_account.sign_out_everywhere, name="sign_out_everywhere"),
    path("account/resets/", views_officer.account_resets, name="account_resets"),
    path("account/resets/<str:username>/", views_officer.account_reset, name="account_reset"),
    path("account/audit/", views_officer.audit_trail, name="audit_trail"),
    path("manage/users/", views_manage.users_upload, name="manage_users"),
    path("manage/users/passwords.csv", views_manage.users_passwords, name="manage_users_passwords"),
]
