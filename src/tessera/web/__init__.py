"""tessera's web UI: plain ES modules and CSS served by the server itself (see routes.py)."""
