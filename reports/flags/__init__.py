"""Disagreement flags in the quality core: input validation, the taxonomy, guideline hot spots, the digest's
figures and release effects (frame, hotspots, summary, release).

Pure: the store's flags frame (`frame.COLUMNS`) and the clock (`now`) are handed in. Import the submodules:
this package imports nothing itself, so the config (which reads `taxonomy`) stays free of pandas.
"""
