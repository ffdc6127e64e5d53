from django.contrib.auth import views as auth_views
from django.urls import path

from core import views
from core.forms import SignInForm

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="core/login.html",
            authentication_form=SignInForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/token/", views.token_create, name="token-create"),
    path("profile/token/<str:token_key>/revoke/", views.token_revoke, name="token-revoke"),
    path("profile/calendar/", views.calendar_token_new, name="calendar-token-new"),
]
