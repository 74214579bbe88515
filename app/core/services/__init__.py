"""The use cases: each takes a ``Database`` and the acting user, checks the role itself and
returns frozen values. The UI and the CLI reach everything below through here."""
