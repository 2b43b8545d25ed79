"""Adapters that connect Hearth to chat networks (``hearth.adapters``)."""
