"""Matrix adapter for Hearth, built on matrix-nio."""
