"""The ``leaders`` plugin: the opinion-leader pyramid (influence scores, proposals, cohorts)."""
