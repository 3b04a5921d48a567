"""The local daemon: batches client frames and ships them to the tier (``python -m datacat.daemon``)."""
