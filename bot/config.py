"""Configuration: one TOML file plus the environment, read in one place."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError
from reports.flags.taxonomy import DEFAULT_FLAG_REASONS, FlagReason, reason_problem
from reports.schedule.errors import ScheduleError
from reports.schedule.model import CHANNEL_ID, Schedule, schedule_from_mapping
from reports.schedule.model import KEYS as DIGEST_KEYS

DEFAULT_DATABASE_URL = "sqlite:///annobot.db"
SLACK_DEFAULT_API_URL = "https://slack.com/api/"

# Every key the file may hold, by table: unknown keys are typos and fail loudly.
_KNOWN: dict[str, set[str]] = {
    "database": {"url"},
    "slack": {"api_url", "command", "max_results", "answer_workers"},
    "server": {"host", "port"},
    "reports": {"output_dir", "timezone", "min_pairable", "ordinal_weights"},
    "projects": {
        "name",
        "guideline",
        "channels",
        "label_studio_secret_env",
        "leads",
        "managers",
        "flag_reasons",
    },
    # Scheduled digests (issue 14): validated by reports/schedule/model.py.
    "digests": set(DIGEST_KEYS),
}
# The keys of one entry of a project's `flag_reasons` (an array of tables inside [[projects]]).
_REASON_KEYS = {"id", "label", "weight"}

# Slack member ids (U…, W… on Enterprise Grid) and user-group ids (S…): upper-case letters and digits.
SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
SLACK_GROUP_ID = re.compile(r"S[A-Z0-9]{2,30}")


@dataclass(frozen=True)
class SlackConfig:
    """Slack settings; tokens come from the environment only."""

    api_url: str = SLACK_DEFAULT_API_URL
    command: str = "/guide"
    max_results: int = 5
    # Processes that compute answers (None: one per CPU, at most 4; 0: in the request process).
    answer_workers: int | None = None
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None


@dataclass(frozen=True)
class ServerConfig:
    """Where the HTTP server listens."""

    host: str = "127.0.0.1"
    port: int = 3000


@dataclass(frozen=True)
class ReportsConfig:
    """Where saved reports go (`annobot digest --save`), the zone of the digest's days, coefficient settings."""

    output_dir: Path = Path("reports-out")
    timezone: str = "UTC"  # IANA name, checked by load_config
    min_pairable: int = 20  # a coefficient over fewer pairable items is n/a (reports.metrics.MIN_PAIRABLE)
    ordinal_weights: str = "quadratic"  # Cohen's kappa on ordinal scales: "linear" or "quadratic"


@dataclass(frozen=True)
class ProjectConfig:
    """A labeling project declared in the config file."""

    name: str
    guideline: str
    channels: tuple[str, ...] = ()
    label_studio_secret_env: str | None = None
    # Slack user ids and/or user-group ids; everyone else is an annotator (bot/authz/roles.py).
    leads: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()
    # The reasons a flag can give, with their hot-spot weights (reports/flags/taxonomy.py).
    flag_reasons: tuple[FlagReason, ...] = DEFAULT_FLAG_REASONS


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    database_url: str = DEFAULT_DATABASE_URL
    slack: SlackConfig = field(default_factory=SlackConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    reports: ReportsConfig = field(default_factory=ReportsConfig)
    projects: tuple[ProjectConfig, ...] = ()
    # [[digests]]: when each digest is posted where (reports/schedule/); read-only from Slack.
    digests: tuple[Schedule, ...] = ()
    source: Path | None = None


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _check_keys(table: str, data: Mapping[str, Any], where: str, known: set[str] | None = None) -> None:
    known = _KNOWN[table] if known is None else known
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key '{table}.{unknown[0]}' (known: {', '.join(sorted(known))})")


def _typed(value: Any, kind: type, name: str, where: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{where}: '{name}' must be {kind.__name__}, got {type(value).__name__}")
    return value


def _answer_workers(value: Any, where: str) -> int | None:
    """`"auto"` (one per CPU, at most 4) → None; else a count ≥ 0 (0 answers in the request process)."""
    if value == "auto":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(
            f"{where}: 'slack.answer_workers' must be \"auto\" or an integer >= 0, got {value!r}"
        )
    return value


def _timezone(name: str, where: str) -> str:
    """An IANA zone name the digest can use for its day boundaries, checked at start-up."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{where}: 'reports.timezone' must be an IANA time zone name such as UTC or "
            f"Europe/Paris, got {name!r}"
        ) from None
    return name


def _role_members(value: Any, name: str, where: str) -> tuple[str, ...]:
    """A `leads`/`managers` list: Slack user ids (U…/W…) and user-group ids (S…), nothing else."""
    _typed(value, list, name, where)
    for i, entry in enumerate(value):
        if not isinstance(entry, str) or not (
            SLACK_USER_ID.fullmatch(entry) or SLACK_GROUP_ID.fullmatch(entry)
        ):
            raise ConfigError(
                f"{where}: '{name}[{i}]' must be a Slack user id (U… or W…) or user-group id (S…), "
                f"got {entry!r} (names and @handles change; copy the member or group id from Slack)"
            )
    return tuple(dict.fromkeys(value))  # repeated ids are harmless: keep the first of each


def _channels(value: Any, name: str, where: str) -> tuple[str, ...]:
    """A project's `channels`: Slack channel ids (C…, or G… for private channels), nothing else."""
    _typed(value, list, name, where)
    for i, entry in enumerate(value):
        if not isinstance(entry, str) or not CHANNEL_ID.fullmatch(entry):
            raise ConfigError(
                f"{where}: '{name}[{i}]' must be a Slack channel id (C… or G…), got {entry!r} "
                "(names change; copy the id from the channel's details)"
            )
    return tuple(dict.fromkeys(value))


def _flag_reasons(value: Any, name: str, where: str) -> tuple[FlagReason, ...]:
    """A project's taxonomy: a list of tables {id, label, weight = 1.0}."""
    reasons = []
    for i, entry in enumerate(_typed(value, list, name, where)):
        at = f"{name}[{i}]"
        _typed(entry, dict, at, where)
        _check_keys("flag_reasons", entry, f"{where}: {at}", _REASON_KEYS)
        for required in ("id", "label"):
            if required not in entry:
                raise ConfigError(f"{where}: '{at}' lacks '{required}'")
        weight = entry.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise ConfigError(f"{where}: '{at}.weight' must be a number, got {type(weight).__name__}")
        reasons.append(
            FlagReason(
                id=_typed(entry["id"], str, f"{at}.id", where),
                label=_typed(entry["label"], str, f"{at}.label", where),
                weight=float(weight),
            )
        )
    problem = reason_problem(reasons)
    if problem is not None:
        # A problem of one reason starts with its "[i].key": quote it with the table's name.
        key, rest = problem.split(" ", 1) if problem.startswith("[") else ("", problem)
        raise ConfigError(f"{where}: '{name}{key}' {rest}")
    return tuple(reasons)


def _digests(value: Any, default_timezone: str, where: str) -> tuple[Schedule, ...]:
    """The [[digests]] tables: each a valid schedule (errors name `digests[i].key`), names unique."""
    schedules: list[Schedule] = []
    for i, entry in enumerate(_typed(value, list, "digests", where)):
        _typed(entry, dict, f"digests[{i}]", where)
        try:
            schedule = schedule_from_mapping(entry, default_timezone)
        except ScheduleError as exc:
            raise ConfigError(f"{where}: 'digests[{i}].{exc.key}' {exc.message}") from None
        if any(s.name == schedule.name for s in schedules):
            raise ConfigError(f"{where}: 'digests[{i}].name' {schedule.name!r} is used by another digest")
        schedules.append(schedule)
    return tuple(schedules)


def _sqlite_relative_to(url: str, base: Path) -> str:
    """Resolve a relative SQLite path in a config file against the file's folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
        return prefix + str((base / url[len(prefix) :]).resolve())
    return url


def load_config(path: Path | str | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the config file (explicit path, ANNOBOT_CONFIG, or none) and the environment."""
    env = os.environ if env is None else env
    if path is None and env.get("ANNOBOT_CONFIG"):
        path = env["ANNOBOT_CONFIG"]
    data: dict[str, Any] = {}
    source: Path | None = None
    if path is not None:
        source = Path(path)
        where = str(source)
        try:
            data = tomllib.loads(source.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{where}: config file not found") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    where = str(source) if source else "config"
    unknown_tables = sorted(set(data) - set(_KNOWN))
    if unknown_tables:
        raise ConfigError(
            f"{where}: unknown table '{unknown_tables[0]}' (known: {', '.join(sorted(_KNOWN))})"
        )

    db = data.get("database", {})
    _check_keys("database", db, where)
    db_url = _typed(db.get("url", DEFAULT_DATABASE_URL), str, "database.url", where)
    if source and "url" in db:
        db_url = _sqlite_relative_to(db_url, source.parent)
    db_url = normalize_database_url(env.get("ANNOBOT_DATABASE_URL") or db_url)

    sl = data.get("slack", {})
    _check_keys("slack", sl, where)
    api_url = env.get("SLACK_API_URL") or _typed(
        sl.get("api_url", SLACK_DEFAULT_API_URL), str, "slack.api_url", where
    )
    if not api_url.endswith("/"):
        # slack_sdk joins method names with urljoin: without the slash the last path segment is replaced.
        api_url += "/"
    command = _typed(sl.get("command", "/guide"), str, "slack.command", where)
    if not command.startswith("/"):
        raise ConfigError(f"{where}: 'slack.command' must start with '/', got {command!r}")
    slack = SlackConfig(
        api_url=api_url,
        command=command,
        max_results=_typed(sl.get("max_results", 5), int, "slack.max_results", where),
        answer_workers=_answer_workers(sl.get("answer_workers", "auto"), where),
        bot_token=env.get("SLACK_BOT_TOKEN") or None,
        signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
        app_token=env.get("SLACK_APP_TOKEN") or None,
    )

    srv = data.get("server", {})
    _check_keys("server", srv, where)
    port = _typed(srv.get("port", 3000), int, "server.port", where)
    if not 0 <= port <= 65535:
        raise ConfigError(f"{where}: 'server.port' must be 0-65535, got {port}")
    server = ServerConfig(host=_typed(srv.get("host", "127.0.0.1"), str, "server.host", where), port=port)

    rep = data.get("reports", {})
    _check_keys("reports", rep, where)
    out = Path(_typed(rep.get("output_dir", "reports-out"), str, "reports.output_dir", where))
    if source and not out.is_absolute():
        out = source.parent / out
    minimum = _typed(rep.get("min_pairable", 20), int, "reports.min_pairable", where)
    if minimum < 1:
        raise ConfigError(f"{where}: 'reports.min_pairable' must be >= 1, got {minimum}")
    weights = _typed(rep.get("ordinal_weights", "quadratic"), str, "reports.ordinal_weights", where)
    if weights not in ("linear", "quadratic"):
        raise ConfigError(
            f'{where}: \'reports.ordinal_weights\' must be "linear" or "quadratic", got {weights!r}'
        )
    reports = ReportsConfig(
        output_dir=out,
        timezone=_timezone(_typed(rep.get("timezone", "UTC"), str, "reports.timezone", where), where),
        min_pairable=minimum,
        ordinal_weights=weights,
    )

    projects = []
    for i, p in enumerate(_typed(data.get("projects", []), list, "projects", where)):
        _check_keys("projects", p, f"{where}: projects[{i}]")
        for required in ("name", "guideline"):
            if required not in p:
                raise ConfigError(f"{where}: projects[{i}] lacks '{required}'")
        projects.append(
            ProjectConfig(
                name=_typed(p["name"], str, f"projects[{i}].name", where),
                guideline=_typed(p["guideline"], str, f"projects[{i}].guideline", where),
                channels=_channels(p.get("channels", []), f"projects[{i}].channels", where),
                label_studio_secret_env=p.get("label_studio_secret_env"),
                leads=_role_members(p.get("leads", []), f"projects[{i}].leads", where),
                managers=_role_members(p.get("managers", []), f"projects[{i}].managers", where),
                flag_reasons=(
                    _flag_reasons(p["flag_reasons"], f"projects[{i}].flag_reasons", where)
                    if "flag_reasons" in p
                    else DEFAULT_FLAG_REASONS
                ),
            )
        )
    return Config(
        database_url=db_url,
        slack=slack,
        server=server,
        reports=reports,
        projects=tuple(projects),
        digests=_digests(data.get("digests", []), reports.timezone, where),
        source=source,
    )
