"""DataCat client SDK."""
