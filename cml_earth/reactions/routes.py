"""Pages and actions of the reactions feature."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reactions", __name__)
