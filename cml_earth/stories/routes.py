"""Pages and actions of the stories feature."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("stories", __name__)
