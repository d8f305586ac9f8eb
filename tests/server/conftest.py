"""Fixtures of the server tests (defined in support/server_env.py, shared with the web tests)."""

from support.server_env import client, env, pg_server, templates  # noqa: F401
