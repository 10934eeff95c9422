from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_security

urlpatterns = [
    path("accounts/login/", views_security.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views_security.PasswordChangeView.as_view(), name="password-change"),
    path("accounts/security/", views_security.account_security, name="account-security"),
    path("accounts/mfa/setup/", views_security.mfa_setup, name="mfa-setup"),
    path("accounts/mfa/verify/", views_security.mfa_verify, name="mfa-verify"),
    path("accounts/tokens/", views.token_list, name="token-list"),
    path("accounts/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("users/", views.user_list, name="user-list"),
    path("users/new/", views.user_create, name="user-new"),
    path("users/<int:pk>/", views.user_detail, name="user-detail"),
    path("users/<int:pk>/mfa-reset/", views_security.mfa_reset, name="mfa-reset"),
    path("memberships/<int:pk>/remove/", views.membership_remove, name="membership-remove"),
]
