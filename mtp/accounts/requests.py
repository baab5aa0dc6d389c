"""The type of a request whose user is signed in, for views behind ``login_required``."""

from django.http import HttpRequest

from mtp.accounts.models import User


class SignedInRequest(HttpRequest):
    """An HttpRequest whose ``user`` is a User, never AnonymousUser. Only for annotations:
    ``login_required`` is what makes it so."""

    user: User
