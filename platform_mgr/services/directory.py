"""Directory sign-in (统一身份认证, DESIGN §9): LDAP through ldap3, OpenID Connect through Authlib.

An identity from a directory signs in only to an account an admin created or invited: the first time it is
matched on its verified e-mail address (an ``ExternalIdentity`` row is then kept), afterwards on its stored
(provider, subject). It never creates an account and never changes a role. A refusal — no account for the
identity, a deactivated account, an e-mail the provider has not verified — is audited like a sign-in, and the
view commits it (so the record of a refusal survives the refusal).

No Flask here: ``LdapSettings`` / ``OidcSettings`` are made from the app's config by the caller, and the OIDC
flow itself (discovery, PKCE, state, nonce, the ID token against the provider's JWKS) lives in
``web/auth/directory.py`` with Authlib's Flask client; ``oidc_identity`` reads the validated claims.
"""
from __future__ import annotations

import math
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from ..enums import Directory
from ..errors import Forbidden, Invalid, Unavailable
from ..inputs.accounts import SignInPolicyUpdate
from ..models import ExternalIdentity, SignInPolicy, User, utcnow
from . import audit, auth
from .milestones import check_version
from .users import normalise_email

#: refusals, by the code the audit log keeps
NO_ACCOUNT, DEACTIVATED, UNVERIFIED, OTHER_IDENTITY = "no_account", "deactivated", "email_unverified", "other_identity"
REFUSALS = {
    NO_ACCOUNT: _l("There is no account on this platform for your directory identity. Ask the commission office "
                   "to invite you, then sign in again."),
    DEACTIVATED: _l("Your account has been deactivated. Ask the commission office if you need it again."),
    UNVERIFIED: _l("Your identity provider has not verified your e-mail address, so it cannot be matched to an "
                   "account. Verify it there, or ask the commission office."),
    OTHER_IDENTITY: _l("Your account is already linked to another identity of this directory. Ask the commission "
                       "office."),
}


class DirectoryRefused(Forbidden):
    """A directory identity that may not sign in (``reason`` is one of ``REFUSALS``); audited already."""

    def __init__(self, reason: str):
        super().__init__(REFUSALS[reason], code=reason)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """Who a directory says signed in: the stable ``subject`` and an e-mail address (verified or not)."""

    provider: Directory
    subject: str
    email: str
    email_verified: bool


# --- LDAP ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LdapSettings:
    url: str
    base_dn: str
    user_filter: str = "(|(uid={login})(mail={login}))"
    bind_dn: str = ""
    bind_password: str = ""
    email_attribute: str = "mail"
    start_tls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LdapSettings | None:
        """The settings of ``config`` (the app's), None when LDAP is not configured."""
        if not config.get("LDAP_URL"):
            return None
        return cls(url=config["LDAP_URL"], base_dn=config["LDAP_BASE_DN"], user_filter=config["LDAP_USER_FILTER"],
                   bind_dn=config["LDAP_BIND_DN"], bind_password=config["LDAP_BIND_PASSWORD"],
                   email_attribute=config["LDAP_EMAIL_ATTRIBUTE"], start_tls=bool(config["LDAP_START_TLS"]),
                   timeout=float(config["LDAP_TIMEOUT"]))


def _server(settings: LdapSettings):
    import ldap3

    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED)
    return ldap3.Server(settings.url, use_ssl=settings.url.startswith("ldaps://"), tls=tls, get_info=ldap3.NONE,
                        connect_timeout=settings.timeout)


def _connection(server, settings: LdapSettings, user: str | None, password: str | None):
    """An open (and, with LDAP_START_TLS, encrypted) connection, not yet bound."""
    import ldap3

    conn = ldap3.Connection(server, user=user, password=password,
                            receive_timeout=max(1, math.ceil(settings.timeout)),  # whole seconds for ldap3
                            auto_bind=ldap3.AUTO_BIND_NONE, raise_exceptions=False, read_only=True)
    conn.open()
    if settings.start_tls and not conn.start_tls():
        raise Unavailable(_l("The directory cannot be reached. Try again later."))
    return conn


def user_filter(settings: LdapSettings, login: str) -> str:
    """The search filter for ``login``, its special characters escaped (no filter injection)."""
    from ldap3.utils.conv import escape_filter_chars

    return settings.user_filter.replace("{login}", escape_filter_chars(login))


def ldap_authenticate(settings: LdapSettings, login: str, password: str) -> Identity | None:
    """Bind as the user: find their entry (with the service account, or anonymously), then bind with its DN and
    ``password``. The identity (subject: the entry's entryUUID, else its DN; the e-mail the directory holds,
    which the commission's directory vouches for), or None for an unknown user or a wrong password.
    ``Unavailable`` when the server cannot be reached (or refuses the service account)."""
    import ldap3
    from ldap3.core.exceptions import LDAPException

    login = (login or "").strip()
    if not login or not password:  # an empty password would be an unauthenticated bind, which "succeeds"
        return None
    unreachable = Unavailable(_l("The directory cannot be reached. Try again later."))
    try:
        server = _server(settings)
        search = _connection(server, settings, settings.bind_dn or None, settings.bind_password or None)
        try:
            if not search.bind():
                raise unreachable
            search.search(settings.base_dn, user_filter(settings, login), search_scope=ldap3.SUBTREE,
                          attributes=[settings.email_attribute, "entryUUID"], size_limit=2)
            entries = list(search.response or [])
        finally:
            search.unbind()
        entries = [e for e in entries if e.get("type") == "searchResEntry"]
        if len(entries) != 1:  # nobody, or the login is ambiguous: no one signs in on a guess
            return None
        entry = entries[0]
        user = _connection(server, settings, entry["dn"], password)
        try:
            if not user.bind():
                if user.result and user.result.get("result") == 49:  # invalidCredentials
                    return None
                raise unreachable
        finally:
            user.unbind()
    except (LDAPException, OSError):
        raise unreachable from None
    attributes = entry.get("attributes") or {}
    uuid = attributes.get("entryUUID")
    emails = attributes.get(settings.email_attribute) or []
    email = (emails[0] if isinstance(emails, list) and emails else emails or "") if emails else ""
    return Identity(Directory.LDAP, str(uuid or entry["dn"]), normalise_email(str(email)), bool(email))


# --- OpenID Connect ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = "openid email profile"
    label_zh: str = "统一身份认证"
    label_en: str = "Unified identity"

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def label(self, lang: str) -> str:
        return self.label_en if str(lang).startswith("en") else self.label_zh

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OidcSettings | None:
        if not config.get("OIDC_ISSUER"):
            return None
        return cls(issuer=config["OIDC_ISSUER"], client_id=config["OIDC_CLIENT_ID"],
                   client_secret=config["OIDC_CLIENT_SECRET"], scopes=config["OIDC_SCOPES"],
                   label_zh=config["OIDC_LABEL_ZH"], label_en=config["OIDC_LABEL_EN"])


def oidc_identity(claims: Mapping[str, Any]) -> Identity:
    """The identity of a validated ID token's claims: ``sub``, and the e-mail only with ``email_verified`` true."""
    verified = claims.get("email_verified") is True
    return Identity(Directory.OIDC, str(claims["sub"]), normalise_email(str(claims.get("email") or "")), verified)


# --- linking an identity to an account -----------------------------------------------------------------

def _refuse(session: Session, identity: Identity, reason: str, user: User | None, address: str):
    audit.record(session, None, "user", user.id if user is not None else None, "sign_in_refused", None,
                 {"method": str(identity.provider), "reason": reason, "subject": identity.subject,
                  "email": identity.email, "address": address})
    session.flush()
    raise DirectoryRefused(reason)


def link_identity(session: Session, identity: Identity, *, address: str = "") -> User:
    """The account ``identity`` signs in to: by (provider, subject), else — the first time — by its verified
    e-mail to an existing active account (the link is then kept). Never creates a user or changes a role.
    ``DirectoryRefused`` (audited) for no account, a deactivated account, an unverified e-mail, or an account
    already linked to another subject of this directory. The sign-in is audited; flushes."""
    now = utcnow()
    address = (address or "unknown")[:64]
    link = session.exec(select(ExternalIdentity).where(ExternalIdentity.provider == identity.provider,
                                                       ExternalIdentity.subject == identity.subject)).first()
    if link is not None:
        user = session.get(User, link.user_id)
    else:
        if not identity.email or not identity.email_verified:
            _refuse(session, identity, UNVERIFIED, None, address)
        user = session.exec(select(User).where(User.email == identity.email)).first()
        if user is None:
            _refuse(session, identity, NO_ACCOUNT, None, address)
        if not user.active:
            _refuse(session, identity, DEACTIVATED, user, address)
        other = session.exec(select(ExternalIdentity).where(ExternalIdentity.user_id == user.id,
                                                            ExternalIdentity.provider == identity.provider)).first()
        if other is not None:  # the directory gave this address to someone else: no take-over by e-mail
            _refuse(session, identity, OTHER_IDENTITY, user, address)
        link = ExternalIdentity(user_id=user.id, provider=identity.provider, subject=identity.subject[:255],
                                email=identity.email, created_at=now)
        audit.record(session, user, "user", user.id, "identity_linked", None,
                     {"provider": str(identity.provider), "subject": identity.subject, "email": identity.email})
    if not user.active:
        _refuse(session, identity, DEACTIVATED, user, address)
    link.last_used_at = now
    if identity.email and identity.email_verified:
        link.email = identity.email
    user.last_login_at = now
    session.add(link)
    session.add(user)
    session.flush()
    audit.record(session, user, "user", user.id, "sign_in", None,
                 {"address": address, "method": str(identity.provider), "subject": identity.subject})
    return user


# --- the policy: which roles sign in through a directory -------------------------------------------------

def update_policy(session: Session, actor, data: SignInPolicyUpdate, *, configured: bool) -> SignInPolicy:
    """Set the roles whose local passwords are refused (a versioned write: stale → 409). Refused while no
    directory is configured, which would leave those roles no way to sign in. Audited; flushes."""
    row = auth.policy(session)
    check_version(row, data.version)
    roles = sorted({str(role) for role in data.directory_roles})
    if roles and not configured:
        message = _l("No directory is configured: these roles would have no way to sign in.")
        raise Invalid(message, fields={"directory_roles": message})
    before = {"directory_roles": list(row.directory_roles or [])}
    row.directory_roles = roles
    session.add(row)
    session.flush()
    audit.record(session, actor, "sign_in_policy", row.id, "update", before, {"directory_roles": roles})
    return row
