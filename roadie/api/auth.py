"""API authentication: Bearer token, the browser session (with CSRF), or HTTP Basic for /tokens."""

from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBasicAuth, HttpBearer

from roadie.accounts.models import User
from roadie.accounts.services import api_token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_authenticate(plain=token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The console's and portal's session; ninja checks CSRF for cookie auth."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


class BasicAuth(HttpBasicAuth):
    def authenticate(self, request: HttpRequest, username: str, password: str) -> User | None:
        user = authenticate(request, username=username.lower(), password=password)
        if user is not None and user.is_active:
            request.user = user
            return user
        return None


token_auth = TokenAuth()
session_auth = SessionAuth()
basic_auth = BasicAuth()
DEFAULT_AUTH = [token_auth, session_auth]
