"""`python -m bot.cli`: the same as the `annobot` command."""

from bot.cli import main

main()
