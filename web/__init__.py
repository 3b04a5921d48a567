"""DataCat web app: REST API (dashboard later).

Entry points: ``datacat.web.server.serve(WebSettings(...))`` runs it until SIGINT/SIGTERM;
``datacat.web.app.create_app(settings)`` builds the Sanic app; ``python -m datacat.web``.
"""
