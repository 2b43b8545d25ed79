"""Hearth's built-in plugins (``hearth.plugins``)."""
