"""The call journal: schema, Alembic migrations, the repository that reads and writes it."""
