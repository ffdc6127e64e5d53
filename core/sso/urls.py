"""The provider's round trip: out (authenticate) and back (callback)."""

from django.urls import path

from core.sso import views

urlpatterns = [
    path("authenticate/", views.AuthenticateView.as_view(), name="oidc_authentication_init"),
    path("callback/", views.CallbackView.as_view(), name="oidc_authentication_callback"),
]
