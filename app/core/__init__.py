"""Domain types, catalogues and services: everything the UI and CLI call, without Qt."""
