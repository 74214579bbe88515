"""Sync use cases: the ward's export and receipts (``ward``), the province's side (``province``)."""
