"""Helpers shared by the tests (paths, browser, recalculation, scenario runner)."""
