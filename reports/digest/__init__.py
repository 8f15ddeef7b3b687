"""The quality digest: typed parts assembled from annotation frames, with one JSON contract."""

from reports.digest.build import build_digest
from reports.digest.model import (
    Alert,
    AnnotatorRow,
    Counts,
    Digest,
    Headline,
    TaskAgreement,
    TaskSpec,
    Window,
    band,
)
from reports.digest.sections import Section, SectionInput, SectionResult, register, registered

__all__ = [
    "Alert",
    "AnnotatorRow",
    "Counts",
    "Digest",
    "Headline",
    "Section",
    "SectionInput",
    "SectionResult",
    "TaskAgreement",
    "TaskSpec",
    "Window",
    "band",
    "build_digest",
    "register",
    "registered",
]
