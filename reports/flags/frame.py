"""The flags frame: its columns, its validation, reason weights and the one-row-per-case view.

The store's reader hands one row per flag:

| column | type | meaning |
| --- | --- | --- |
| `flag_id` | int or str | unique per flag |
| `case_id` | int or str | the case the flag joined (flags on one item with an open case share it) |
| `project` | str | |
| `item_id` | str | |
| `reason` | str | a taxonomy id (`DEFAULT_WEIGHTS`); an unknown id is tolerated, weight `UNKNOWN_WEIGHT` |
| `slug` | str | the guideline flagged |
| `version` | str | the guideline version current at filing |
| `anchor` | str or None/NaN | the section at stake; None, NaN or "" means no section |
| `filed_by` | str | Slack user id |
| `filed_at` | datetime64[ns, UTC] | when the flag was filed (any zone is read as its instant) |
| `case_status` | str | `open`, `assigned` or `resolved` (of the case, repeated on each of its rows) |
| `resolved_at` | datetime64[ns, UTC] or NaT | when the case was resolved |
| `outcome` | str or None | `annotator_right`, `other_right`, `both_acceptable`, `guideline_must_change` |

A case's status, resolution time and outcome are read from its latest row (by `filed_at`, then
`flag_id`), so the answer does not depend on row order even if the rows disagree; a case is *open* when
its status is anything but `resolved` (so `assigned` is open), and it was *opened* at its earliest
`filed_at` in the frame. Its time to resolution is `resolved_at` minus that, in seconds, and counts only
for resolved cases with a `resolved_at`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

import numpy as np
import pandas as pd

from reports.flags.taxonomy import DEFAULT_FLAG_REASONS, UNKNOWN_WEIGHT

COLUMNS = (
    "flag_id",
    "case_id",
    "project",
    "item_id",
    "reason",
    "slug",
    "version",
    "anchor",
    "filed_by",
    "filed_at",
    "case_status",
    "resolved_at",
    "outcome",
)
RESOLVED = "resolved"
MUST_CHANGE = "guideline_must_change"
NO_REASON = "(none)"
# The default weight per taxonomy id (reports.flags.taxonomy, one source): a flag that points at the
# guideline itself says most about the section; data and tool problems say little about it.
DEFAULT_WEIGHTS: Mapping[str, float] = {r.id: r.weight for r in DEFAULT_FLAG_REASONS}
DAY_SECONDS = 86400.0


def utc(moment: datetime | pd.Timestamp, what: str) -> pd.Timestamp:
    """A timezone-aware moment as a UTC Timestamp; a naive one is refused (its zone is unknown)."""
    ts = pd.Timestamp(moment)
    if ts is pd.NaT or ts.tzinfo is None:
        raise ValueError(f"{what} must be a timezone-aware moment (UTC), got {moment!r}")
    return ts.tz_convert("UTC")


def _utc_column(values: pd.Series, name: str) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    if values.isna().all():  # an empty or all-NaT column may come back untyped
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    raise ValueError(f"column `{name}` must hold timezone-aware timestamps, got dtype {values.dtype}")


def _text(x: object) -> str | None:
    if isinstance(x, str):
        return x or None
    return None if pd.isna(x) else str(x)


def _text_or_none(values: pd.Series) -> pd.Series:
    """NaN/None/NA/"" -> None, anything else -> str."""
    return values.map(_text).astype(object)


def validate(frame: pd.DataFrame) -> pd.DataFrame:
    """Check the columns and types; return a normalised copy sorted by (`filed_at`, `flag_id`).

    Normalised: timestamps in UTC, `slug`/`anchor`/`version`/`outcome` as str or None, a missing reason as
    `NO_REASON`, and a boolean `_section` (both slug and anchor present). Raises ValueError naming what is
    wrong: missing columns, naive or non-time timestamps, a flag without `filed_at`, `flag_id` or `case_id`,
    a repeated `flag_id`.
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"the flags frame lacks column(s): {', '.join(missing)} (expected: {', '.join(COLUMNS)})"
        )
    df = frame.loc[:, list(COLUMNS)].copy()
    df["filed_at"] = _utc_column(df["filed_at"], "filed_at")
    df["resolved_at"] = _utc_column(df["resolved_at"], "resolved_at")
    if df["filed_at"].isna().any():
        raise ValueError(
            f"column `filed_at` must be set on every flag; {int(df['filed_at'].isna().sum())} lack it"
        )
    for col in ("flag_id", "case_id"):
        if df[col].isna().any():
            raise ValueError(f"column `{col}` must be set on every flag; {int(df[col].isna().sum())} lack it")
    if df["flag_id"].duplicated().any():
        dupes = sorted({str(x) for x in df.loc[df["flag_id"].duplicated(), "flag_id"]})
        raise ValueError(f"column `flag_id` must be unique; repeated: {', '.join(dupes[:5])}")
    for col in ("slug", "anchor", "version", "outcome"):
        df[col] = _text_or_none(df[col])
    df["reason"] = _text_or_none(df["reason"]).fillna(NO_REASON)
    df["case_status"] = df["case_status"].astype(str)
    df["_section"] = df["slug"].notna() & df["anchor"].notna()
    # flag_id as text breaks filed_at ties the same whatever the ids' type: shuffles give one answer.
    df["_key"] = df["flag_id"].astype(str)
    return df.sort_values(["filed_at", "_key"], kind="stable").reset_index(drop=True)


def weight_of(weights: Mapping[str, float] | None) -> dict[str, float]:
    """The defaults overridden by `weights`; every weight must be a finite number >= 0."""
    merged = {**DEFAULT_WEIGHTS, **(weights or {})}
    for reason, w in merged.items():
        if not isinstance(w, int | float) or not math.isfinite(w) or w < 0:
            raise ValueError(f"the weight of reason {reason!r} must be a finite number >= 0, got {w!r}")
    return {k: float(v) for k, v in merged.items()}


def decayed(
    df: pd.DataFrame, now: pd.Timestamp, weights: Mapping[str, float], half_life_days: float
) -> np.ndarray:
    """Per flag: weight(reason) * 0.5 ** (age_days / half_life_days), age clipped at 0."""
    if not (isinstance(half_life_days, int | float) and math.isfinite(half_life_days) and half_life_days > 0):
        raise ValueError(f"half_life_days must be a finite number > 0, got {half_life_days!r}")
    w = df["reason"].map(lambda r: weights.get(r, UNKNOWN_WEIGHT)).to_numpy(dtype=float)
    # A flag stamped after `now` (clock skew between replicas) counts as brand new, never as more than
    # its weight.
    age = np.clip((now - df["filed_at"]).dt.total_seconds().to_numpy(dtype=float) / DAY_SECONDS, 0.0, None)
    return w * np.power(0.5, age / float(half_life_days))


def cases(df: pd.DataFrame) -> pd.DataFrame:
    """One row per case of a validated frame, indexed by case_id: project, item_id, opened_at, status,
    resolved_at, outcome, open (bool), resolution_s (seconds, NaN unless resolved with a time)."""
    if df.empty:
        out = pd.DataFrame(
            columns=[
                "project",
                "item_id",
                "opened_at",
                "status",
                "resolved_at",
                "outcome",
                "open",
                "resolution_s",
            ]
        )
        out.index.name = "case_id"
        return out
    groups = df.groupby("case_id", sort=False)
    # tail(1), not last(): last() would skip NaT/None and mix rows.
    latest = groups.tail(1).set_index("case_id")
    out = pd.DataFrame(
        {
            "project": latest["project"],
            "item_id": latest["item_id"],
            "opened_at": groups["filed_at"].min(),
            "status": latest["case_status"],
            "resolved_at": latest["resolved_at"],
            "outcome": latest["outcome"],
        }
    )
    out["open"] = out["status"] != RESOLVED
    timed = ~out["open"] & out["resolved_at"].notna()
    seconds = (out["resolved_at"] - out["opened_at"]).dt.total_seconds()
    # Resolved "before" filing is clock skew between replicas, not a negative wait.
    out["resolution_s"] = seconds.clip(lower=0.0).where(timed)
    return out


def median_resolution(case_rows: pd.DataFrame) -> tuple[float | None, str | None]:
    """The median resolution_s of resolved cases, or None with the reason."""
    resolved = case_rows[~case_rows["open"].astype(bool)]
    if resolved.empty:
        return None, "no resolved cases"
    times = resolved["resolution_s"].dropna()
    if times.empty:
        return None, f"{len(resolved)} resolved case(s), none with a resolution time"
    return float(times.median()), None
