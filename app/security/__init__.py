"""Station accounts and the database key: everything that needs cryptography outside sync."""
