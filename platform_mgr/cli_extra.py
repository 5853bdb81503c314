"""Commands added by later areas (scheduler, backup) register here."""
from __future__ import annotations

from flask import Flask


def register_extra(app: Flask) -> None:
    from .jobs.cli import scheduler_cli

    app.cli.add_command(scheduler_cli)
