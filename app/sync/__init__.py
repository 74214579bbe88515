"""Trust and transport: TUF verification of criteria packs, signing, bundles (no Qt)."""
