"""Login, logout, the password change, and the department's account provisioning under /manage/users/."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_manage

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("manage/users/", views_manage.users_upload, name="manage_users"),
    path("manage/users/passwords.csv", views_manage.users_passwords, name="manage_users_passwords"),
]
