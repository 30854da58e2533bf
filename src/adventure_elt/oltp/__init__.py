"""The operational side: the source PostgreSQL, its schema, and data to put in it."""
