"""CML Earth: a peer-support community for people living with CML and those close to them."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the application: defaults, instance/config.py, environment, then ``config``."""
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("CML_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=str(instance_path or PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    register_config(app, config)
    register_logging(app)
    register_proxy(app)
    register_extensions(app)
    register_blueprints(app)
    register_template_globals(app)
    register_errors(app)
    register_commands(app)
    return app


def register_config(app: Flask, config: dict | None) -> None:
    from . import config as settings

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    settings.load(app, config)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(PROJECT_ROOT / "translations"))


def register_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    # Alembic announces each of its plugins at INFO whenever it is imported.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_proxy(app: Flask) -> None:
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_extensions(app: Flask) -> None:
    # models: imported for the metadata every table adds itself to.
    from . import database, i18n, mail, models, rate_limit_storage, security  # noqa: F401
    from .extensions import csrf, login_manager, migrate

    database.init_app(app)
    from .extensions import db

    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    rate_limit_storage.init_app(app)
    i18n.init_app(app)
    mail.init_app(app)
    security.init_app(app)
    register_login(app, login_manager)


def register_login(app: Flask, login_manager) -> None:
    from flask_babel import lazy_gettext as _l

    from .auth.services import load_session

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = app.config["SESSION_PROTECTION"]
    login_manager.user_loader(load_session)


def register_blueprints(app: Flask) -> None:
    from .account.routes import bp as account
    from .auth.routes import bp as auth
    from .groups.routes import bp as groups
    from .help.routes import bp as help_pages
    from .main.routes import bp as main
    from .moderation.member_routes import bp as staff_members
    from .moderation.report_routes import bp as reports
    from .moderation.routes import bp as moderation
    from .notifications.routes import bp as notifications
    from .profiles.routes import bp as profiles
    from .reactions.routes import bp as reactions
    from .safety.routes import bp as safety
    from .search.routes import bp as search
    from .social.routes import bp as social
    from .stories.routes import bp as stories

    app.register_blueprint(main)
    app.register_blueprint(auth, url_prefix="/auth")
    app.register_blueprint(profiles)
    app.register_blueprint(account, url_prefix="/settings")
    app.register_blueprint(stories)
    app.register_blueprint(reactions)
    app.register_blueprint(social)
    app.register_blueprint(notifications)
    app.register_blueprint(search)
    app.register_blueprint(groups, url_prefix="/groups")
    app.register_blueprint(help_pages)
    app.register_blueprint(moderation, url_prefix="/moderation")
    app.register_blueprint(reports)
    app.register_blueprint(staff_members, url_prefix="/moderation/members")
    app.register_blueprint(safety, url_prefix="/safety")


def register_template_globals(app: Flask) -> None:
    from .text import render_markdown

    app.jinja_env.filters["markdown"] = render_markdown

    @app.context_processor
    def _view_functions() -> dict:
        # Lets shared navigation list only the pages that exist.
        return {"view_functions": app.view_functions}


def register_errors(app: Flask) -> None:
    from . import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    from . import cli

    cli.init_app(app)
