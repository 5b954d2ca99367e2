"""WSGI entry point: ``gunicorn -c gunicorn.conf.py wsgi:app``."""

from cml_earth import create_app
from cml_earth.groups.countries import country_index
from cml_earth.groups.geocoding import gazetteer

app = create_app()

# Each worker loads the country-name index and the city list before its first request, so
# that no member's search waits for them (about a second; both are packaged artefacts).
country_index()
gazetteer()
