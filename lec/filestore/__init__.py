"""Files every node can reach: job uploads and prepared exports kept in PostgreSQL (storage.DatabaseStorage)."""
