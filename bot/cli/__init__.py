"""The `annobot` command line: thin click shells over the domain and store functions."""

from __future__ import annotations

import re
import sys
from typing import Any

import click

from bot.cli.lazy import LazyCommand, LazyGroup
from bot.cli.state import CliState
from bot.errors import AnnobotError, RowsRefused
from guidelines.errors import GuidelineError, TreeErrors

# Each command's module is imported only when that command runs (or its own --help is asked for):
# `annobot --help` and `annobot guidelines list` must not pay for pandas, matplotlib or Slack.
# The help lines are the first line of each command's docstring (tests/cli/test_startup.py checks).
COMMANDS = {
    "annotators": LazyCommand(
        "bot.cli.projects_cmd:annotators",
        "Annotator identities: tool ids mapped to Slack users and cohort attributes.",
    ),
    "audit": LazyCommand(
        "bot.cli.audit_cmd:audit",
        "Audit trail: who did or was refused what, on which project, when.",
    ),
    "console": LazyCommand(
        "bot.cli.console_cmd:console",
        "Try the bot in the terminal: type slash commands, pick buttons by number.",
    ),
    "db": LazyCommand("bot.cli.db_cmd:db", "Database schema management."),
    "digest": LazyCommand(
        "bot.cli.digest_cmd:digest",
        "Compute the quality digest of a project: agreement, gold accuracy, drift, confusions.",
    ),
    "digests": LazyCommand(
        "bot.cli.digests_cmd:digests",
        "Scheduled digests ([[digests]] in the config): post one now, the history of their runs.",
    ),
    "export": LazyCommand("bot.cli.import_cmd:export_group", "Export stored data."),
    "flags": LazyCommand(
        "bot.cli.flags_cmd:flags",
        "Disagreement flags: list cases, export adjudicated labels, guideline hot spots.",
    ),
    "guidelines": LazyCommand(
        "bot.cli.guidelines_cmd:guidelines", "Versioned guidelines: publish, search, show, diff."
    ),
    "import": LazyCommand(
        "bot.cli.import_cmd:import_group", "Import annotations or gold answers into a project."
    ),
    "lookups": LazyCommand(
        "bot.cli.lookups_cmd:lookups",
        "Guideline lookups asked in Slack: the questions the guidelines did not answer.",
    ),
    "projects": LazyCommand(
        "bot.cli.projects_cmd:projects",
        "Labeling projects: which guideline their labels follow, where they report.",
    ),
    "trees": LazyCommand(
        "bot.cli.trees_cmd:trees",
        "Decision trees for hard cases, authored beside the guideline: check, render, stats.",
    ),
    "run": LazyCommand(
        "bot.cli.run_cmd:run",
        "Start the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on /slack/events.",
    ),
}


# Characters that would break the one-line message or drive the terminal (messages quote user
# input): C0 controls but tab, DEL, C1 controls, the Unicode line and paragraph separators, and lone
# surrogates (undecodable bytes of a file name or argument), which stdout cannot even encode.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def one_line(message: str) -> str:
    """The message with line breaks and control characters written as escapes (\\n, \\x1b, \\u2028)."""
    return _UNPRINTABLE.sub(_escape, message)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as Python's surrogateescape hands it over
        return f"\\x{code - 0xDC00:02x}"
    return match.group().encode("unicode_escape").decode("ascii")


class InputFailure(click.ClickException):
    """A ClickException carrying annobot's exit code (2 for bad input), printed as one line."""

    def __init__(self, message: str, exit_code: int, more: tuple[str, ...] = ()) -> None:
        super().__init__("\n".join(one_line(line) for line in (message, *more)))
        self.exit_code = exit_code


class AnnobotGroup(LazyGroup):
    """Turns annobot's errors into one clear line and an exit code, at the edge only."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Refuse arguments that are not UTF-8 before any command sees them."""
        for position, arg in enumerate(args, 1):
            # Python hands undecodable argv bytes over as lone surrogates (surrogateescape), which
            # no database, terminal or JSON can take: one refusal here covers every command.
            bad = next((ch for ch in arg if "\ud800" <= ch <= "\udfff"), None)
            if bad is not None:
                byte = f"byte 0x{ord(bad) - 0xDC00:02X}" if ord(bad) >= 0xDC80 else f"U+{ord(bad):04X}"
                raise InputFailure(
                    f"argument {position} is not valid UTF-8 ({byte}); check the terminal's encoding", 2
                )
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, translating expected errors; unexpected ones keep their traceback."""
        try:
            return super().invoke(ctx)
        except TreeErrors as exc:
            # Every problem of a check or publish, one escaped line each.
            lines = exc.lines()
            raise InputFailure(lines[0], 2, more=tuple(lines[1:])) from exc
        except GuidelineError as exc:
            raise InputFailure(str(exc), 2) from exc
        except RowsRefused as exc:
            # A report of several lines: each line escaped, the line structure kept.
            raise InputFailure(exc.lines[0], exc.exit_code, more=exc.lines[1:]) from exc
        except AnnobotError as exc:
            raise InputFailure(exc.message, exc.exit_code) from exc


@click.group(
    cls=AnnobotGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="ANNOBOT_CONFIG",
    help="Path to the TOML config file (default: $ANNOBOT_CONFIG, else built-in defaults).",
)
@click.version_option(package_name="annobot")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """annobot: guideline answers, disagreement flags and quality digests for annotation teams."""
    ctx.obj = CliState(config_path)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="annobot")


if __name__ == "__main__":
    sys.exit(main())
