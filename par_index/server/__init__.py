"""The province server: one database for a yearly round, accounts and roles, the workflow, a JSON API.

Layers (bottom up): ``settings`` → ``models`` + ``db`` (SQLAlchemy 2, Alembic migrations in
``migrations/``) → ``security`` (passwords, sessions) and ``roles`` (the one permission table) →
``scoring`` (the only module that imports the engine) → ``services`` (functions taking a DB
session and an account; the JSON API and the web pages both call them) → ``app`` (FastAPI
routes, error bodies, request logs) → ``cli`` (``db``, ``users``, ``serve``).
"""
