"""DataCat web app: REST API and dashboard."""
