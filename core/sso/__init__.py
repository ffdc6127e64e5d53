"""Single sign-on with an OpenID Connect provider (mozilla-django-oidc), off unless configured.

``provider`` says whether it is on and finds the provider's endpoints, ``claims`` turns what the
provider says about a person into a Pulse username and roles (pure), ``services`` writes the
user, ``backends`` and ``views`` plug the library into Django's sign-in and sign-out.
"""
