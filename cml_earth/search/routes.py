"""The search page."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from . import services

bp = Blueprint("search", __name__)


@bp.get("/search")
def search():
    query = request.args.get("q") or ""
    if "\x00" in query:
        abort(400)
    page = request.args.get("page", 1, type=int)
    if page < 1 or page > 1000:
        abort(404)
    words = services.search_words(query)
    results = services.search(current_user, words, page) if words else None
    if results is not None and not results.results and page > 1:
        abort(404)
    query = query[: services.MAX_QUERY_LENGTH]
    return render_template(
        "search/results.html",
        query=query,
        words=words,
        results=results,
        per_page=services.PER_PAGE,
    )
