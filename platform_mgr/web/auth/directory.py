"""Directory sign-in on the web (DESIGN §9): the LDAP form posted from /login, and OpenID Connect's
authorization code flow (``/login/oidc`` → the provider → ``/login/oidc/callback``) through Authlib's Flask
client: discovery, PKCE (S256), ``state`` and ``nonce`` kept in the signed session cookie, the ID token's signature
checked against the provider's JWKS. Every failure goes back to /login with a message, never a 5xx. Which account
an identity signs in to is ``services.directory``'s question.

**Clocks.** The ID token's ``exp``, ``iat`` and ``nbf`` are checked against ``platform_mgr.clock`` (the one
clock of the app, which the tests freeze) with ``LEEWAY`` seconds of tolerance, not against the wall clock that
Authlib would read; the checks are as strict in production. The tests' provider runs on the machine's real clock,
so a test moves its frozen clock to the provider's before a flow (tests/directory_servers.py), and one test keeps
the app an hour behind the provider to see its token refused.
"""
from __future__ import annotations

import functools

from flask import abort, current_app, flash, redirect, render_template, request, session as cookie, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import clock
from ...db import get_session
from ...domain.throttle import ThrottleRules
from ...enums import SignInMethod
from ...errors import TooManyRequests, Unavailable
from ...services import auth, directory
from .blueprint import bp
from .forms import DirectorySignInForm, SignInForm
from .signin import complete_sign_in, remember_next

#: seconds of clock difference tolerated between this app and the identity provider (Authlib's default)
LEEWAY = 120
_CLIENT = "pm_oidc_client"


def ldap_settings() -> directory.LdapSettings | None:
    return directory.LdapSettings.from_config(current_app.config)


def oidc_settings() -> directory.OidcSettings | None:
    return directory.OidcSettings.from_config(current_app.config)


def login_page(form=None, ldap_form=None, status: int = 200, headers: dict | None = None):
    """/login with the directories that are configured: an LDAP form, an OpenID Connect button (``headers``: a
    throttled answer's Retry-After)."""
    oidc = oidc_settings()
    page = render_template("auth/login.html", form=form or SignInForm(), ldap_form=(
        ldap_form or DirectorySignInForm(formdata=None, prefix="ldap")) if ldap_settings() else None,
        oidc_label=oidc.label(str(_lang())) if oidc else None, next_url=request.args.get("next") or "")
    return page, status, headers or {}


def _lang():
    from flask_babel import get_locale

    return get_locale() or "zh_Hans_CN"


def _clocked_id_token():
    """Authlib's ID-token claims for the code flow, their times checked against ``platform_mgr.clock``."""
    from authlib.oidc.core import CodeIDToken

    class ClockedIDToken(CodeIDToken):
        def validate(self, now=None, leeway=0):
            super().validate(now=int(clock.now().timestamp()), leeway=leeway)

    return ClockedIDToken


def _client(settings: directory.OidcSettings):
    """The app's Authlib client (one per app: its discovery document and JWKS are kept between requests)."""
    client = current_app.extensions.get(_CLIENT)
    if client is None:
        from authlib.integrations.flask_client import OAuth

        oauth = OAuth(current_app)
        client = oauth.register("directory", client_id=settings.client_id, client_secret=settings.client_secret,
                                server_metadata_url=settings.metadata_url,
                                client_kwargs={"scope": settings.scopes, "code_challenge_method": "S256",
                                               "timeout": 10})
        current_app.extensions[_CLIENT] = client
    return client


def directory_view(settings_of):
    """A directory sign-in view: a signed-in visitor goes home, an unconfigured directory is not found, else
    ``view(settings)``."""
    def wrap(view):
        @functools.wraps(view)
        def run():
            if current_user.is_authenticated:
                return redirect(url_for("main.home"))
            settings = settings_of()
            if settings is None:
                abort(404)
            return view(settings)
        return run
    return wrap


def _back_to_login(message: str, category: str = "danger"):
    flash(message, category)
    return redirect(url_for("auth.login", next=cookie.pop("pm_next", None) or None))


@bp.route("/login/ldap", methods=["POST"])
@directory_view(ldap_settings)
def login_ldap(settings: directory.LdapSettings):
    form = DirectorySignInForm(prefix="ldap")
    if not form.validate_on_submit():
        return login_page(ldap_form=form, status=422)
    session = get_session()
    address = request.remote_addr or ""
    key = "ldap:" + form.login.data.strip().lower()
    try:
        auth.check_sign_in(session, key, address, ThrottleRules.from_config(current_app.config))
        identity = directory.ldap_authenticate(settings, form.login.data, form.password.data)
        if identity is None:
            auth.record_failure(session, key, address)
            session.commit()  # the failed attempt is counted
            form.password.errors = [_("Directory account or password is not correct.")]
            return login_page(ldap_form=form, status=401)
        user = directory.link_identity(session, identity, address=address)
        auth.forget_failures(session, key, address)
    except (TooManyRequests, Unavailable) as exc:
        session.rollback()
        flash(str(exc.message), "danger")
        return login_page(ldap_form=form, status=exc.status, headers=getattr(exc, "headers", {}))
    except directory.DirectoryRefused as exc:
        session.commit()  # the refusal is audited
        flash(str(exc.message), "danger")
        return login_page(ldap_form=form, status=exc.status)
    answer = complete_sign_in(session, user, method=SignInMethod.LDAP, remember=bool(form.remember.data),
                              next_url=request.args.get("next"))
    session.commit()
    return answer


@bp.route("/login/oidc")
@directory_view(oidc_settings)
def login_oidc(settings: directory.OidcSettings):
    remember_next(request.args.get("next"))
    import requests

    try:
        return _client(settings).authorize_redirect(url_for("auth.oidc_callback", _external=True))
    except (requests.RequestException, ValueError, KeyError):
        return _back_to_login(_("The identity provider cannot be reached. Try again later."))


@bp.route("/login/oidc/callback")
@directory_view(oidc_settings)
def oidc_callback(settings: directory.OidcSettings):
    import requests
    from authlib.common.errors import AuthlibBaseError
    from joserfc.errors import JoseError

    try:
        token = _client(settings).authorize_access_token(claims_cls=_clocked_id_token(), leeway=LEEWAY)
        claims = token.get("userinfo")
        if not claims or "nonce" not in claims:
            raise ValueError("no ID token")
    except requests.RequestException:
        return _back_to_login(_("The identity provider cannot be reached. Try again later."))
    except (AuthlibBaseError, JoseError, ValueError, KeyError, TypeError):
        return _back_to_login(_("The sign-in with the identity provider did not complete. Please try again."))
    session = get_session()
    try:
        user = directory.link_identity(session, directory.oidc_identity(claims), address=request.remote_addr or "")
    except directory.DirectoryRefused as exc:
        session.commit()  # the refusal is audited
        return _back_to_login(str(exc.message))
    answer = complete_sign_in(session, user, method=SignInMethod.OIDC, next_url=cookie.pop("pm_next", None))
    session.commit()
    return answer
