"""The quality digest: typed parts assembled from annotation frames, with one JSON contract."""

from reports.digest.build import build_digest
from reports.digest.model import (
    Alert,
    AnnotatorRow,
    Confusion,
    Counts,
    Digest,
    Headline,
    PairRow,
    ReleaseRow,
    SegmentRow,
    Settings,
    TaskAgreement,
    TaskSpec,
    Window,
    band,
)
from reports.digest.sections import Section, SectionInput, SectionResult, register, registered

__all__ = [
    "Alert",
    "AnnotatorRow",
    "Confusion",
    "Counts",
    "Digest",
    "Headline",
    "PairRow",
    "ReleaseRow",
    "Section",
    "SectionInput",
    "SectionResult",
    "SegmentRow",
    "Settings",
    "TaskAgreement",
    "TaskSpec",
    "Window",
    "band",
    "build_digest",
    "register",
    "registered",
]
