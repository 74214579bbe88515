"""The domain and its use cases, without Qt: ``domain/`` (pure types and rules) and
``services/`` (the use cases the UI and the CLI call). See docs/architecture.md."""
