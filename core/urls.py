from django.urls import path

from core import views
from core.sso import views as sso_views

urlpatterns = [
    # The password form and "Sign in with …" (core.sso); signing out ends the provider's
    # session too after a single sign-on.
    path("login/", sso_views.SignInView.as_view(), name="login"),
    path("logout/", sso_views.SignOutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/token/", views.token_create, name="token-create"),
    path("profile/token/<str:token_key>/revoke/", views.token_revoke, name="token-revoke"),
    path("profile/calendar/", views.calendar_token_new, name="calendar-token-new"),
]
