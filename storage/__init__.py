"""Storage shared by bot/ and actions/: SQLAlchemy 2.0 models, sessions and Alembic migrations.

SQLite under var/ by default (DATABASE_URL), PostgreSQL in production. People are known only by a keyed
hash of their Telegram id (`pseudonym`); the Telegram chat id is kept only where a reply must be sent.
"""
