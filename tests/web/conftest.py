"""Fixtures of the web page tests; the helpers are in ``web_harness.py`` (see its docstring)."""

from web_harness import browser, driver, seed_db, site

__all__ = ["browser", "driver", "seed_db", "site"]
