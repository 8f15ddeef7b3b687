"""Subcommands loaded on first use, so that `annobot --help` and each command import only what they need."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class LazyCommand:
    """Where a subcommand lives ("module:attribute") and its one-line help, shown without loading it."""

    target: str
    short_help: str

    def load(self) -> click.Command:
        """Import the module and return the command object."""
        module_name, _, attr = self.target.partition(":")
        command = getattr(importlib.import_module(module_name), attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's name -> command mapping that imports a command's module only when it is looked up.

    Iterating over the names loads nothing; reading a value (get_command, `.items()`) loads it, so
    code walking `group.commands` still sees every command.
    """

    def __init__(self, lazy: dict[str, LazyCommand]) -> None:
        self.lazy = dict(lazy)
        self.loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self.loaded:
            if name not in self.lazy:
                raise KeyError(name)
            self.loaded[name] = self.lazy[name].load()
        return self.loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        found = self.loaded.pop(name, None) is not None
        if self.lazy.pop(name, None) is None and not found:
            raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self.lazy, *self.loaded]))

    def __len__(self) -> int:
        return len(set(self.lazy) | set(self.loaded))

    def short_help(self, name: str, limit: int) -> str | None:
        """The help line of a command that is not loaded yet (None once it is, or for unknown names)."""
        if name in self.loaded or name not in self.lazy:
            return None
        # A bare Command gives the same cut at `limit` as the real one would.
        return click.Command(name, help=self.lazy[name].short_help).get_short_help_str(limit)


class LazyGroup(click.Group):
    """click's "lazily loading subcommands" pattern; the help listing uses the stored help lines."""

    commands: LazyCommands  # type: ignore[assignment]

    def __init__(self, *args: object, lazy_commands: dict[str, LazyCommand], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.commands = LazyCommands(lazy_commands)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Like click's listing, but from the stored help lines, so `--help` imports no subcommand."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            line = self.commands.short_help(name, limit)
            if line is None:
                cmd = self.get_command(ctx, name)
                if cmd is None or cmd.hidden:
                    continue
                line = cmd.get_short_help_str(limit)
            rows.append((name, line))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
