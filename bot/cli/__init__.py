"""The `annobot` command line: thin click shells over the domain and store functions."""

from __future__ import annotations

import sys
from typing import Any

import click

from bot.cli.state import CliState
from bot.errors import AnnobotError
from guidelines.errors import GuidelineError


class InputFailure(click.ClickException):
    """A ClickException carrying annobot's exit code (2 for bad input)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class AnnobotGroup(click.Group):
    """Turns annobot's errors into one clear line and an exit code, at the edge only."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, translating expected errors; unexpected ones keep their traceback."""
        try:
            return super().invoke(ctx)
        except GuidelineError as exc:
            raise InputFailure(str(exc), 2) from exc
        except AnnobotError as exc:
            raise InputFailure(exc.message, exc.exit_code) from exc


@click.group(cls=AnnobotGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


def _register() -> None:
    from bot.cli.console_cmd import console
    from bot.cli.db_cmd import db
    from bot.cli.digest_cmd import digest
    from bot.cli.guidelines_cmd import guidelines
    from bot.cli.import_cmd import export_group, import_group
    from bot.cli.projects_cmd import annotators, projects
    from bot.cli.run_cmd import run

    cli.add_command(db)
    cli.add_command(console)
    cli.add_command(guidelines)
    cli.add_command(projects)
    cli.add_command(annotators)
    cli.add_command(import_group)
    cli.add_command(export_group)
    cli.add_command(run)
    cli.add_command(digest)


_register()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="annobot")


if __name__ == "__main__":
    sys.exit(main())
