"""Shared test configuration."""

from browser import browser  # noqa: F401 - the headless Chromium fixture, for every page test
