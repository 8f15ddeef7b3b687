"""Sentence embeddings (optional extra `annobot[semantic]`): see bot/semantic/encoder.py."""
