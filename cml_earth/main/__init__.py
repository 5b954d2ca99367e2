"""The site's own pages: home, information pages, language switch and health checks."""

from .routes import bp

__all__ = ["bp"]
