"""The ``flash`` plugin: temporary groups for one event, dissolved when it ends."""
