"""The social feature's blueprint, shared by its route modules."""

from flask import Blueprint

bp = Blueprint("social", __name__)
