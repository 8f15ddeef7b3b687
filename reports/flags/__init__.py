"""Disagreement flags in the quality core: guideline hot spots, the digest's figures, release effects.

Pure: the store's flags frame (`COLUMNS`) and the clock (`now`) are handed in.
"""

from reports.flags.frame import COLUMNS, DEFAULT_WEIGHTS, UNKNOWN_WEIGHT, validate
from reports.flags.hotspots import NO_SECTION, HotSpot, ReasonCount, hot_spots, no_section
from reports.flags.release import MIN_DAYS, ReleaseEffect, release_effect
from reports.flags.summary import FlagSummary, OldestOpen, flag_summary

__all__ = [
    "COLUMNS",
    "DEFAULT_WEIGHTS",
    "MIN_DAYS",
    "NO_SECTION",
    "UNKNOWN_WEIGHT",
    "FlagSummary",
    "HotSpot",
    "OldestOpen",
    "ReasonCount",
    "ReleaseEffect",
    "flag_summary",
    "hot_spots",
    "no_section",
    "release_effect",
    "validate",
]
