"""platform_mgr: the concept-verification platform programme of a science and technology commission."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, g, jsonify, render_template, request
from flask import session as flask_session
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from .bounds import BoundedRequest, upload_view
from .config import ROOT, app_config, load_secret_key

__version__ = "0.1.0"


def create_app(config: type | dict | None = None) -> Flask:
    """Build an app. ``config`` is a Config class or a mapping of overrides (tests pass their own).

    The settings are read from the environment now (config.app_config); a malformed one raises ConfigError."""
    values = app_config(config)
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=values["INSTANCE_PATH"],
    )
    app.config.update(values)
    app.request_class = BoundedRequest  # a JSON body is bounded in size and depth before it is parsed
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)
    if not app.config.get("AUDIT_KEY"):
        app.config["AUDIT_KEY"] = load_secret_key(app.instance_path, "audit_key")
    if not app.config.get("AUDIT_CHECKPOINT_DIR"):
        app.config["AUDIT_CHECKPOINT_DIR"] = str(Path(app.instance_path) / "audit-checkpoints")
    from .services import audit

    audit.remember_app_settings(app.config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config.get("DATABASE_URL") or (
            "sqlite:///" + str(Path(app.instance_path) / "platform_mgr.sqlite3"))
    if not app.config.get("UPLOAD_DIR"):
        app.config["UPLOAD_DIR"] = str(Path(app.instance_path) / "uploads")
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_UPLOAD_MB"]) * 1024 * 1024 + 64 * 1024
    # the remember-me cookie carries the same server-session key as the session cookie: the same flags
    app.config["REMEMBER_COOKIE_SECURE"] = bool(app.config["SESSION_COOKIE_SECURE"])
    app.config["REMEMBER_COOKIE_HTTPONLY"] = bool(app.config["SESSION_COOKIE_HTTPONLY"])
    app.config["REMEMBER_COOKIE_SAMESITE"] = app.config["SESSION_COOKIE_SAMESITE"]
    from .i18n import TRANSLATIONS

    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)

    if int(app.config.get("PROXY_FIX") or 0) > 0:  # only when told: otherwise anyone could claim HTTPS or an address
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    _init_extensions(app)
    app.url_map.converters["int"] = BoundedInt  # an id beyond the columns' range is simply not found (404), not a 500
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_error_handlers(app)
    _register_security_headers(app)

    from .cli import register_cli

    register_cli(app)
    return app


class BoundedInt(IntegerConverter):
    """``<int:…>`` limited to what an integer column holds (32-bit on PostgreSQL; inputs.MAX_INT).

    The bound is in the converter's pattern, not only in ``to_python``: werkzeug checks a rule's methods before
    it converts, so a rule refusing the value in ``to_python`` would leave the other methods' rules of the same
    path counted, and ``PATCH /api/v1/projects/2147483648`` would answer 405 instead of 404. A number outside the
    range matches no rule at all: 404 on every method, and the database never sees it."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
        if max is not None and not fixed_digits:
            self.regex = ("-?" if signed else "") + at_most_pattern(max)


def at_most_pattern(limit: int) -> str:
    """A regular expression matching the decimal numbers from 0 to ``limit`` (leading zeros allowed)."""
    digits = str(limit)
    alternatives = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):  # same first i digits, a smaller one next, anything after
        if digit != "0":
            alternatives.append(f"{digits[:i]}[0-{int(digit) - 1}][0-9]{{{len(digits) - i - 1}}}")
    alternatives.append(digits)
    return "0*(?:" + "|".join(alternatives) + ")"


def _init_extensions(app: Flask) -> None:
    from . import db
    from .extensions import babel, bootstrap, csrf, login_manager
    from .i18n import select_locale

    db.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Shanghai")
    csrf.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(key: str):
        """The user of the server session whose key the cookie carries (services.sessions)."""
        if not key or g.get("db_unavailable"):  # the outage page is drawn without the database
            return None
        from .services import sessions

        return sessions.for_request(db.get_session(), key, idle_minutes=app.config["SESSION_IDLE_MINUTES"],
                                    safe_request=request.method in db.SAFE_METHODS)

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import flash, redirect, url_for

        if request.accept_mimetypes.best == "application/json":
            return jsonify({"error": {"code": "unauthorized", "message": _("Please sign in."), "fields": {}}}), 401
        flash(_("Please sign in to continue."), "info")
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))

    @app.before_request
    def refuse_nul_characters():
        """A NUL in a query string or a form field cannot be stored (PostgreSQL text) nor mean anything: 422."""
        from .errors import Invalid

        bad = [name for source in (request.args, request.form) for name, value in source.items(multi=True)
               if (isinstance(value, str) and "\x00" in value) or "\x00" in (name or "")]
        if bad:
            raise Invalid(_("Please correct the marked fields."),
                          fields={name.replace("\x00", ""): _("Text may not contain NUL characters.") for name in bad})

    @app.before_request
    def remember_language():
        from .i18n import parse_lang

        chosen = parse_lang(request.args.get("lang"))
        if not chosen or request.blueprint == "api":
            return
        g.lang = chosen
        flask_session["lang"] = chosen
        from flask_login import current_user

        # stored as the user's preference on safe requests (a write request keeps its single transaction)
        if request.method in ("GET", "HEAD") and current_user.is_authenticated and current_user.preferred_lang != chosen:
            from .db import new_session
            from .models import User
            from .services.users import set_preferred_lang

            with new_session(write=True) as s:  # its own short write transaction, even on a GET
                user = s.get(User, current_user.id)
                set_preferred_lang(s, user, chosen)
                s.commit()
            from flask import flash
            from flask_babel import force_locale

            with force_locale(chosen):  # said in the language just chosen: the switch is remembered
                flash(_("The interface language is now English, and it stays so when you sign in again; "
                        "the language link in the menu bar changes it back.") if chosen == "en" else
                      _("The interface language is now Chinese, and it stays so when you sign in again; "
                        "the language link in the menu bar changes it back."), "info")
            from sqlalchemy.orm.attributes import set_committed_value

            set_committed_value(current_user._get_current_object(), "preferred_lang", chosen)  # no second write


# web areas, each a package platform_mgr/web/<area>/routes.py exposing `bp`; registered when present
WEB_AREAS = ("main", "auth", "platforms", "projects", "gates", "cycles", "reviews", "eligibility", "exports",
             "notifications", "admin", "dashboards")


def _register_blueprints(app: Flask) -> None:
    import importlib
    import importlib.util

    from . import api
    from .extensions import csrf

    for area in WEB_AREAS:
        name = f"{__name__}.web.{area}.routes"
        if importlib.util.find_spec(f"{__name__}.web.{area}") is None:
            continue
        module = importlib.import_module(name)
        app.register_blueprint(module.bp)
    csrf.exempt(api.bp)  # bearer tokens, no cookies: CSRF does not apply
    api.register(app)


def _register_template_helpers(app: Flask) -> None:
    from . import clock, enums, i18n, permissions
    from .messages import gate_check_message
    from .web.helpers import actor

    app.jinja_env.globals.update(
        perms=permissions, current_actor=actor, pick=i18n.pick, lang_code=i18n.lang_code, colon=i18n.colon,
        paren=i18n.paren, enums=enums, gate_check_message=gate_check_message, now_utc=clock.now,
        issuer_name=i18n.issuer_name, trl_text=i18n.trl_text, upload_limit=_upload_limit,
    )
    app.jinja_env.filters.update(dt=i18n.format_dt, d=i18n.format_date, yuan=i18n.format_yuan, label=i18n.label)

    @app.context_processor
    def inject_language_links():
        def lang_url(code: str) -> str:
            args = request.args.to_dict(flat=True)
            args["lang"] = code
            from urllib.parse import urlencode

            return request.path + "?" + urlencode(args)

        return {"lang_url": lang_url}


def _upload_limit() -> dict[str, str]:
    """A file input's size limit for static/js/app.js, which refuses a file over it before it is sent."""
    from flask import current_app

    n = int(current_app.config["MAX_UPLOAD_MB"])
    return {"data-max-bytes": str(n * 1024 * 1024), "data-too-large": _("The file is larger than %(n)d MB.", n=n)}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _register_error_handlers(app: Flask) -> None:
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    from . import incidents
    from .db import get_session
    from .errors import AppError, Conflict

    def _rollback():
        if "db_session" in g:
            g.db_session.rollback()

    @app.errorhandler(AppError)
    def app_error(exc: AppError):
        _rollback()
        incidents.record(exc)
        if _wants_json():
            from .api.core import error_response

            return error_response(exc)
        return (render_template("errors/error.html", status=exc.status, message=str(exc.message or "")), exc.status,
                getattr(exc, "headers", {}))

    @app.errorhandler(StaleDataError)
    def stale(exc):
        _rollback()  # first: choosing the message's language may load the user through this session
        return app_error(Conflict(_("This record was changed by someone else. Reload and try again.")))

    @app.errorhandler(OperationalError)
    def db_down(exc):
        _rollback()
        app.logger.exception("database error")
        # draw the page as for a visitor: nothing on it may need the database again
        from flask_login import AnonymousUserMixin

        from .permissions import ANONYMOUS

        g.db_unavailable = True
        g._login_user = AnonymousUserMixin()
        g.actor = ANONYMOUS
        if _wants_json():
            return jsonify({"error": {"code": "unavailable", "message": _("The database is not reachable. Try again shortly."),
                                      "fields": {}}}), 503
        return render_template("errors/error.html", status=503,
                               message=_("The database is not reachable. Try again shortly.")), 503

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        _rollback()
        if _wants_json():
            from .api.core import http_error_json

            return http_error_json(exc)
        if exc.code == 413 and (view := upload_view(request)) is not None:
            # a body past even an upload form's bound: back to the form's page, saying why (bounds.py)
            from flask import flash, redirect, url_for

            flash(_("The file is larger than %(n)d MB.", n=int(app.config["MAX_UPLOAD_MB"])), "danger")
            return redirect(url_for(view.upload_back or request.url_rule.endpoint, **(request.view_args or {})), 303)
        return render_template("errors/error.html", status=exc.code, message=""), exc.code

    @app.errorhandler(500)
    def server_error(exc):
        _rollback()
        if _wants_json():
            return jsonify({"error": {"code": "server_error", "message": _("Something went wrong on our side."),
                                      "fields": {}}}), 500
        return render_template("errors/error.html", status=500, message=""), 500

    del get_session


def _register_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if _signed_in():  # a signed-in page or an API answer is nobody else's: never kept by a cache (DESIGN §9)
            response.headers["Cache-Control"] = "no-store"
        return response


def _signed_in() -> bool:
    if request.blueprint == "api" or g.get("api_user") is not None:
        return True
    user = g.get("_login_user")  # only when this request loaded its user (static files do not)
    return bool(user is not None and getattr(user, "is_authenticated", False))
