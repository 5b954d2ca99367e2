"""Home, information pages, the language switcher and health checks."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import text

from ..auth import services as auth_services
from ..extensions import db
from ..forms import EmptyForm
from ..security import safe_next
from ..stories.routes import render_feed

bp = Blueprint("main", __name__)

INFORMATION_PAGES = ("guidelines", "privacy", "disclaimer", "sponsor")


@bp.get("/")
def home():
    if current_user.is_authenticated:
        return render_feed()  # a member's home is the stories of the community
    return render_template("main/home.html")


@bp.get("/about/<page>")
def information(page: str):
    if page not in INFORMATION_PAGES:
        abort(404)
    return render_template(f"main/{page}.html")


@bp.post("/language")
def set_language():
    """The switcher: a cookie for visitors; for members, their saved setting."""
    chosen = request.form.get("locale", "")
    if not EmptyForm().validate_on_submit() or chosen not in current_app.config["LANGUAGES"]:
        abort(400)
    if current_user.is_authenticated:
        auth_services.change_locale(current_user, chosen)
    response = redirect(safe_next(url_for("main.home")))
    response.set_cookie(
        current_app.config["LANGUAGE_COOKIE"],
        chosen,
        max_age=365 * 24 * 3600,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers. Touches nothing else."""
    return Response("ok", mimetype="text/plain")


@bp.get("/readyz")
def readyz():
    """Readiness: the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure means "not ready"; the reason goes to the log
        current_app.logger.exception("Database check failed")
        return Response("database unavailable", status=503, mimetype="text/plain")
    return Response("ok", mimetype="text/plain")
