"""Pages and actions of the social feature."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("social", __name__)
