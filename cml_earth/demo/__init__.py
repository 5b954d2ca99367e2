"""Demo data for trying the site: ``flask --app cml_earth demo seed``."""
