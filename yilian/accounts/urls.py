from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(success_url="/"), name="password-change"),
    path("accounts/tokens/", views.token_list, name="token-list"),
    path("accounts/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("users/", views.user_list, name="user-list"),
    path("users/new/", views.user_create, name="user-new"),
    path("users/<int:pk>/", views.user_detail, name="user-detail"),
    path("memberships/<int:pk>/remove/", views.membership_remove, name="membership-remove"),
]
