"""The site's own pages: home, information pages, language switch and health checks."""
