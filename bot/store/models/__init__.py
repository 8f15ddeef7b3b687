"""SQLAlchemy 2 models of the shared store, one module per entity (bot.store.schema imports them all)."""
