"""Decision trees for hard cases: the model, the YAML loader and validator, renderers (all pure)."""
