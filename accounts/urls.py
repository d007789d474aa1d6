from django.urls import path

from accounts import views, views_signin

app_name = "accounts"

urlpatterns = [
    path("users/", views.users, name="users"),
    path("users/add/", views.user_add, name="user_add"),
    path("users/<int:user_id>/", views.user_detail, name="user"),
    path("users/<int:user_id>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("users/<int:user_id>/reactivate/", views.user_reactivate, name="user_reactivate"),
    path("users/<int:user_id>/password/", views.user_password, name="user_password"),
    path("activity/sign-ins/", views_signin.signins, name="signins"),
    path("activity/sign-ins/unlock/", views_signin.signin_unlock, name="signin_unlock"),
    # The sign-in page, in place of Django's own (portal/urls.py mounts the apps' pages before Django's accounts/
    # pages), and signing in through the company's identity provider (404 while OIDC_ISSUER is empty).
    path("accounts/login/", views_signin.SigninView.as_view(), name="login"),
    path("accounts/oidc/start/", views_signin.oidc_start, name="oidc_start"),
    path("accounts/oidc/callback/", views_signin.oidc_callback, name="oidc_callback"),
    path("accounts/oidc/refused/", views_signin.oidc_refused, name="oidc_refused"),
    # The second step of signing in, beside Django's own accounts/ pages (login, logout, password change).
    path("accounts/two-factor/", views_signin.two_factor, name="two_factor"),
    path("accounts/two-factor/setup/", views_signin.two_factor_setup, name="two_factor_setup"),
]
