"""The command-line face of the importer: ``lims import`` and the watched folder share it."""
from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa

from lims.accounts.access import Actor
from lims.errors import LimsError
from lims.extensions import db
from lims.imports.services import ImportOptions, ImportReport, run_import
from lims.jobs.engine import after_commit
from lims.models import User


def import_actor(username: str | None) -> Actor:
    if username:
        user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise click.ClickException(f"unknown user {username}")
    else:
        user = db.session.execute(sa.select(User).where(User.role == "admin", User.active.is_(True))
                                  .order_by(User.id)).scalars().first()
        if user is None:
            raise click.ClickException("no administrator: add one with `lims user add` or pass --user")
    return Actor(user=user, ip="cli")


def run_cli_import(path: Path, *, fmt=None, dry_run=False, strict=False, create_batches=False, username=None,
                   source="cli") -> ImportReport:
    """Import one file in its own transaction (committed unless nothing may change)."""
    actor = import_actor(username)
    data = path.read_bytes()
    bar = None
    if sys.stdout.isatty() and len(data) > 256 * 1024:
        bar = click.progressbar(length=max(data.count(b"\n"), 1), label=path.name, file=sys.stderr)
        bar.__enter__()
    last = [0]

    def progress(rows):
        if bar is not None:
            bar.update(rows - last[0])
            last[0] = rows

    try:
        report = run_import(actor, data, ImportOptions(filename=path.name, format=fmt, dry_run=dry_run, strict=strict,
                                                       create_batches=create_batches, source=source),
                            progress=progress)
        db.session.commit()
        after_commit()  # the e-mails of the positives it announced
    except LimsError as exc:  # e.g. a user who may not import
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from None
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    return report


def report_lines(report: ImportReport) -> list[str]:
    """The summary and every problem with its row, as plain lines (also the watch log)."""
    state = {"committed": "imported", "preview": "dry run (nothing saved)", "rejected": "REFUSED",
             "already_imported": "already imported"}[report.status]
    lines = [f"{report.filename}: {state}" + (f" [{report.format}]" if report.format else "")]
    if report.error:
        lines.append(f"  {report.error}")
    if report.rows_total:
        lines.append(f"  rows {report.rows_total}: ok {report.ok}, rejected {report.rejected}, "
                     f"unmatched {report.unmatched}, no data {report.no_data}, duplicates {report.duplicates}; "
                     f"positives {report.positives}, disagreements {report.disagreements}, "
                     f"new batches {report.created_batches}")
    for row in sorted(report.rows, key=lambda r: r.row):
        if row.status != "ok" or row.warnings:
            for message in row.messages + row.warnings:
                lines.append(f"  row {row.row} [{row.status}]: {message}")
    return lines


def print_report(report: ImportReport) -> None:
    for i, line in enumerate(report_lines(report)):
        colour = "red" if report.status == "rejected" and i == 0 else None
        click.echo(click.style(line, fg=colour) if colour else line)
