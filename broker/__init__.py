"""DataCat's central tier: broker proxy, ingest workers, ``apply`` and the stores."""
