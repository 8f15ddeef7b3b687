"""Quality metrics for the digest: pure pandas/numpy functions over annotation and gold frames."""

from reports.metrics.agreement import (
    bootstrap_alpha,
    cohen_kappa,
    coincidence,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)
from reports.metrics.confusions import confusion_pairs
from reports.metrics.consensus import consensus_agreement
from reports.metrics.counts import Encoded, as_encoded, count_table, encode
from reports.metrics.drift import DriftAlert, drift_alerts, drift_chart
from reports.metrics.gold import gold_accuracy, per_class_recall, wilson_interval
from reports.metrics.pairwise import SCALE_WEIGHTS, agreement_matrix, pairwise_cohen
from reports.metrics.result import MIN_PAIRABLE, Coefficient, Scale
from reports.metrics.segments import ReleaseChange, release_change, segment_summary, throughput

__all__ = [
    "MIN_PAIRABLE",
    "SCALE_WEIGHTS",
    "Coefficient",
    "DriftAlert",
    "Encoded",
    "ReleaseChange",
    "Scale",
    "agreement_matrix",
    "as_encoded",
    "bootstrap_alpha",
    "cohen_kappa",
    "coincidence",
    "confusion_pairs",
    "consensus_agreement",
    "count_table",
    "drift_alerts",
    "drift_chart",
    "encode",
    "fleiss_kappa",
    "gold_accuracy",
    "gwet_ac1",
    "krippendorff_alpha",
    "pairwise_cohen",
    "per_class_recall",
    "percent_agreement",
    "release_change",
    "segment_summary",
    "throughput",
    "wilson_interval",
]
