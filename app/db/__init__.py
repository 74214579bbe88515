"""SQLAlchemy models, the engine with its pragmas, migrations and repositories (no Qt)."""
