"""Criteria packs: the versioned, signed definitions of criteria sets and indicators."""
