"""The shared SQL store: models, queries, migrations."""
