"""DataCat web app: REST API, Prometheus ``/metrics`` and the Plotly dashboard.

Entry points: ``datacat.web.server.serve(WebSettings(...))`` runs it until SIGINT/SIGTERM;
``datacat.web.app.create_app(settings)`` builds the Sanic app; ``datacat web`` (or
``python -m datacat.web``) runs it with settings from ``datacat.config``.
"""
