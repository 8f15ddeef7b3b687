"""Bolt listeners, one package per feature, each with `register(app, deps)`: thin shells over the engine."""
