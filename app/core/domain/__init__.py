"""Pure types and rules, importable by every layer: no database, no files, no Qt."""
