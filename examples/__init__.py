"""Example configuration and scenarios shipped with Hearth (``hearth console`` uses them)."""
