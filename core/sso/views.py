"""Sign-in and sign-out pages, and the two steps of the provider's code flow.

Only the two code-flow views are open to people signed out (besides the login page itself):
``authenticate`` sends the browser to the provider, ``callback`` receives it back.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.utils.decorators import method_decorator
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from core.forms import SignInForm
from core.sso import provider
from core.sso.backends import library_setting


class SignInView(auth_views.LoginView):
    """The login page: "Sign in with …" when single sign-on is on, and the password form unless
    passwords were switched off (a password posted then is refused, as everywhere else)."""

    template_name = "core/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **kwargs,
            sso_enabled=provider.enabled(),
            sso_provider_name=provider.provider_name(),
            password_sign_in=provider.password_sign_in_allowed(),
        )

    def post(self, request, *args, **kwargs):
        if not provider.password_sign_in_allowed():
            messages.error(request, f"Sign in with {provider.provider_name()}.")
            return redirect(settings.LOGIN_URL)
        return super().post(request, *args, **kwargs)


class SignOutView(auth_views.LogoutView):
    """Signs out of Pulse and, after a single sign-on, of the provider too (RP-initiated logout:
    the provider then sends the browser back to the login page)."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get("oidc_id_token")
        response = super().post(request, *args, **kwargs)
        if id_token and provider.enabled():
            back = request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL))
            url = provider.logout_url(id_token=id_token, post_logout_redirect_uri=back)
            if url:
                return HttpResponseRedirect(url)
        return response


@method_decorator(login_not_required, name="dispatch")
class AuthenticateView(OIDCAuthenticationRequestView):
    """ "Sign in with …": a state, nonce and PKCE verifier in the session, then the provider."""

    get_settings = staticmethod(library_setting)

    def __init__(self, **kwargs):
        # The library reads the endpoint here; it is found in get (discovery may be needed).
        View.__init__(self, **kwargs)

    def get(self, request):
        if not provider.enabled():
            raise Http404("Single sign-on is off.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider.endpoints().authorization
        except provider.ProviderUnavailable:
            messages.error(
                request, f"{provider.provider_name()} cannot be reached. Try again in a minute."
            )
            return redirect(settings.LOGIN_URL)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        return super().get(request)


@method_decorator(login_not_required, name="dispatch")
class CallbackView(OIDCAuthenticationCallbackView):
    """The provider sends the browser back here with a code; signed in, or back to the login
    page with a message."""

    get_settings = staticmethod(library_setting)

    def get(self, request):
        if not provider.enabled():
            raise Http404("Single sign-on is off.")
        return super().get(request)

    @property
    def failure_url(self) -> str:
        return resolve_url(settings.LOGIN_URL)

    def login_failure(self):
        messages.error(
            self.request,
            f"Signing in with {provider.provider_name()} did not work. If it goes on, ask an "
            "admin whether your account there gives you a role in Pulse.",
        )
        return super().login_failure()
