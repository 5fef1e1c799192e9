"""The ``lims`` command group (``flask --app wsgi lims …``): thin wrappers around services."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from lims.accounts.access import Actor
from lims.extensions import db

lims_cli = AppGroup("lims", help="食品快检 LIMS commands.")


def cli_actor(username: str | None = None) -> Actor:
    """The actor for a command: the named user, or the system."""
    if username:
        from lims.accounts.services import find_user

        return Actor(user=find_user(username), ip="cli")
    return Actor(user=None, ip="cli")


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun for the command's English output: "1 result", "2 results"."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def fail(message: str, code: int = 1):
    click.echo(click.style(str(message), fg="red"), err=True)
    sys.exit(code)


def refuse(exc) -> None:
    """A refused change: nothing kept; the message and each field's problem, exit 1."""
    db.session.rollback()
    details = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in exc.errors.items())
    fail(f"{exc.message}{' (' + details + ')' if details else ''}")


@lims_cli.command("init")
def init_command():
    """Create or upgrade the schema and load the reference data (idempotent)."""
    from flask_migrate import upgrade

    from lims.reference.loader import load_reference_data

    from lims.jobs.engine import apply_schema

    upgrade()
    if apply_schema():
        click.echo("job queue (procrastinate) tables created")
    summary = load_reference_data()
    db.session.commit()
    click.echo(f"schema up to date; reference data added: {counted(summary.categories, 'category', 'categories')}, "
               f"{counted(summary.items, 'test item')}, {counted(summary.foods, 'food')}")


@lims_cli.command("demo")
@click.option("--months", default=3, show_default=True, type=click.IntRange(1, 36))
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has batches.")
def demo_command(months, seed, if_empty):
    """Realistic demo data for a district: markets, stalls, suppliers, events, batches, positives."""
    from lims.demo.builder import build_demo, has_data

    if if_empty and has_data():
        click.echo("demo data present; nothing to do")
        return
    summary = build_demo(months=months, seed=seed, progress=lambda msg: click.echo(msg))
    db.session.commit()
    click.echo(summary)


user_cli = AppGroup("user", help="Users.")
lims_cli.add_command(user_cli)


@user_cli.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["admin", "reviewer", "technician", "market_manager",
                                                         "regulator"]))
@click.option("--site", "sites", multiple=True, help="Site code (market managers; repeat for several).")
@click.option("--org", "orgs", multiple=True,
              help="Organisation code (regulators, admins: its subtree; repeat for several).")
@click.option("--station", "stations", multiple=True,
              help="Station code (technicians, reviewers: the sites it serves; repeat for several).")
@click.option("--display-name", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_add_command(name, role, sites, orgs, stations, display_name, password_stdin):
    """Add a user. Without --password-stdin the password is asked for twice."""
    from lims.accounts.services import create_user
    from lims.errors import LimsError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(cli_actor(), username=name, role=role, password=password,
                           display_name=display_name, site_codes=sites, org_codes=orgs, station_codes=stations)
    except LimsError as exc:
        refuse(exc)
    db.session.commit()
    click.echo(f"user {user.username} added ({user.role})")


org_cli = AppGroup("org", help="The organisation tree.")
lims_cli.add_command(org_cli)


@org_cli.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice(["province", "city", "district", "office", "testing"]))
@click.option("--parent", default=None, help="The parent organisation's code.")
def org_add_command(code, name, kind, parent):
    """Add an organisation: a node of the jurisdiction tree or a testing organisation."""
    from lims.errors import LimsError
    from lims.orgs.services import create_org

    try:
        org = create_org(cli_actor(), code=code, name=name, kind=kind, parent=parent)
    except LimsError as exc:
        refuse(exc)
    db.session.commit()
    click.echo(f"organisation {org.code} added ({org.kind})")


@org_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "username", default=None, help="Load as this administrator (default: the console).")
def org_load_command(path, username):
    """Load organisations, sites, stalls and stations from a workbook (sheets 机构, 场所, 摊位,
    检测点; `lims org template` writes a blank one): all of it, or with any problem nothing."""
    from pathlib import Path

    from lims.errors import LimsError
    from lims.orgs.bulk import TreeFileInvalid, load_tree

    try:
        actor = cli_actor(username)
    except LimsError as exc:
        fail(exc.message)
    try:
        result = load_tree(actor, Path(path).read_bytes())
    except TreeFileInvalid as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        fail(exc.message)
    db.session.commit()
    click.echo(result.summary())


@org_cli.command("template")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
def org_template_command(out):
    """Write the blank workbook for `lims org load`, with example rows and instructions."""
    from pathlib import Path

    from reports.excel.tree_template import write_tree_template

    Path(out).write_bytes(write_tree_template())
    click.echo(out)


token_cli = AppGroup("token", help="API tokens.")
lims_cli.add_command(token_cli)


@token_cli.command("add")
@click.argument("name")
@click.option("--label", default="cli", help="What the token is for.")
def token_add_command(name, label):
    """Print a new API token for user NAME (shown once, stored hashed)."""
    from lims.accounts.services import create_token, find_user
    from lims.errors import LimsError

    try:
        token = create_token(cli_actor(), find_user(name), label)
    except LimsError as exc:
        fail(exc.message)
    db.session.commit()
    click.echo(token)


audit_cli = AppGroup("audit", help="The audit trail.")
lims_cli.add_command(audit_cli)


@audit_cli.command("verify")
def audit_verify_command():
    """Check the sealed chain end to end and every entry not sealed yet by its own keyed seal;
    reconcile results, batches, dispositions and reagent lots with their last audited state;
    name the first entry or row that differs."""
    from lims.audit.services import verify

    result = verify()
    click.echo(describe_verification(result))
    if not result.ok:
        sys.exit(1)


def describe_verification(result) -> str:
    """The lines `lims audit verify` prints."""
    lines = []
    if result.legacy:
        lines.append(f"entries #1–#{result.legacy} are the legacy segment (unkeyed SHA-256, written before keyed "
                     f"auditing); keyed verification starts at entry #{result.keyed_from or result.legacy + 1}")
    elif result.keyed_from:
        lines.append(f"keyed verification starts at entry #{result.keyed_from}")
    if result.ok:
        lines.append(f"audit trail intact: {result.checked} entries ({result.sealed} sealed in the chain, "
                     f"{result.unsealed} not sealed yet, each checked by its own seal); {result.rows} rows match "
                     f"their last audited state")
    elif result.subject:
        what = {"state": f"its {result.field} is {result.stored!r} but the trail says {result.audited!r}",
                "seal": "its stored values do not match its keyed seal (changed outside the application)",
                "missing": "it is in the trail but no longer stored",
                "unaudited": "no keyed audit entry has its current state (rows from before keyed auditing: "
                             "run `lims audit baseline` once)",
                "stale": "it is newer than its last audit entry (an entry about it is missing)",
                "site": f"its site_id is {result.stored!r} but its batch's site is {result.audited!r}"}[result.problem]
        lines.append(click.style(f"audit trail BROKEN: {result.subject} differs from the trail: {what}", fg="red"))
    elif result.broken_pos is not None:
        entry = f" (entry #{result.broken_seq})" if result.broken_seq is not None else ""
        lines.append(click.style(f"audit trail BROKEN at chain position #{result.broken_pos}{entry} "
                                 f"({result.problem}); the {result.sealed} sealed entries before it are intact",
                                 fg="red"))
    else:
        lines.append(click.style(f"audit trail BROKEN at entry #{result.broken_seq} ({result.problem}, not sealed "
                                 f"yet); {result.checked} entries before it are intact", fg="red"))
    return "\n".join(lines)


@audit_cli.command("baseline")
def audit_baseline_command():
    """Once, after upgrading: snapshot the rows that no keyed entry covers yet (the trail began
    before keyed auditing). Run it right after the upgrade, before anyone can change data."""
    from lims.audit.services import baseline

    n = baseline(cli_actor())
    db.session.commit()
    click.echo(f"{counted(n, 'row')} snapshotted into the audit trail")


@audit_cli.command("seal")
def audit_seal_command():
    """Chain the entries written since the last sealing (also done by `lims tick` and after
    write requests); waits for a sealing step already running instead of skipping."""
    from lims.audit.services import seal

    n = seal(wait=True)
    db.session.commit()
    click.echo(f"{counted(n, 'entry', 'entries')} sealed into the chain")


@audit_cli.command("head")
def audit_head_command():
    """Seal what is pending, then print the chain's newest position and link hash (compare it
    with a printed report's)."""
    from lims.audit.services import head, seal

    seal(wait=True)
    db.session.commit()
    top = head()
    click.echo(f"#{top[0]} {top[1]}" if top else "the audit trail is empty")


@lims_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", default=None, help="Force a format (pesticide-csv, gold-xlsx, analyzer-csv, template-xlsx).")
@click.option("--dry-run", is_flag=True, help="Preview only: nothing is saved.")
@click.option("--strict", is_flag=True, help="Refuse the whole file if any row is rejected.")
@click.option("--create-batches", is_flag=True, help="Create batches for unmatched rows when site and stall resolve.")
@click.option("--user", "username", default=None, help="Import as this user (default: the first administrator).")
def import_command(file, fmt, dry_run, strict, create_batches, username):
    """Import an instrument file; print a summary and every problem with its row."""
    from pathlib import Path

    from lims.imports.cli import print_report, run_cli_import

    report = run_cli_import(Path(file), fmt=fmt, dry_run=dry_run, strict=strict, create_batches=create_batches,
                            username=username, source="cli")
    print_report(report)
    if report.status == "rejected":
        sys.exit(1)


@lims_cli.command("watch")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--user", "username", default=None, help="Import as this user (default: the first administrator).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between looks at the folder.")
@click.option("--once", is_flag=True, help="Import what is there now and stop.")
@click.option("--create-batches", is_flag=True)
def watch_command(folder, username, interval, once, create_batches):
    """Import files dropped into FOLDER (as instrument PCs do); each goes to done/ or failed/
    with a log beside it. Safe to restart; never imports a file twice."""
    from pathlib import Path

    from lims.imports.watch import watch

    watch(Path(folder), username=username, interval=interval, once=once, create_batches=create_batches,
          echo=click.echo)


report_cli = AppGroup("report", help="Reports as PDF.")
lims_cli.add_command(report_cli)


def _report_actor(username):
    from lims.imports.cli import import_actor

    return import_actor(username)


@report_cli.command("monthly")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--site", default=None, help="One site's code; default the whole scope.")
@click.option("--org", default=None, help="A node of the organisation tree (a city, a district…); default the user's own.")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--xlsx", is_flag=True, help="Write the figures as an Excel workbook instead of a PDF.")
@click.option("--user", "username", default=None)
def report_monthly_command(month, site, org, out, xlsx, username):
    """The monthly report (月度快检报告)."""
    from pathlib import Path

    from lims.errors import LimsError
    from lims.reporting.monthly import monthly_pdf, monthly_xlsx
    from lims.reporting.views import parse_month

    try:
        data = (monthly_xlsx if xlsx else monthly_pdf)(_report_actor(username), parse_month(month), site, org)
    except LimsError as exc:
        fail(exc.message)
    Path(out).write_bytes(data)
    click.echo(f"{out}: {len(data)} bytes")


@report_cli.command("batch")
@click.argument("code")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--draft", is_flag=True, help="Include unreviewed results, marked as a draft.")
@click.option("--user", "username", default=None)
def report_batch_command(code, out, draft, username):
    """The test report (检测报告单) of one batch; exit 1 for an unknown batch."""
    from pathlib import Path

    from lims.batches.services import get_batch
    from lims.errors import LimsError
    from lims.reporting.batch import batch_report_pdf

    try:
        data = batch_report_pdf(get_batch(_report_actor(username), code), draft=draft)
    except LimsError as exc:
        fail(exc.message)
    Path(out).write_bytes(data)
    click.echo(f"{out}: {len(data)} bytes")


export_cli = AppGroup("export", help="Exports as Excel.")
lims_cli.add_command(export_cli)


@export_cli.command("results")
@click.option("--from", "first", required=True, help="YYYY-MM-DD (local date, inclusive)")
@click.option("--to", "last", required=True, help="YYYY-MM-DD (local date, inclusive)")
@click.option("--out", required=True, type=click.Path(dir_okay=False))
@click.option("--org", default=None, help="A node of the organisation tree; default everything the user sees.")
@click.option("--user", "username", default=None)
def export_results_command(first, last, out, org, username):
    """Reviewed results of a period as Excel, one row per result."""
    from lims.errors import LimsError
    from lims.reporting.exports import export_results
    from lims.reporting.views import parse_day

    try:
        first_day, last_day = parse_day(first, "from"), parse_day(last, "to")
        if last_day < first_day or (last_day - first_day).days > 400:
            fail("the period must run forwards and last at most 400 days")
        with open(out, "wb") as fp:
            n = export_results(_report_actor(username), first_day, last_day, fp, org)
    except LimsError as exc:
        fail(exc.message)
    click.echo(f"{out}: {counted(n, 'result')}")


@lims_cli.command("tick")
def tick_command():
    """Time-driven work for cron (every few minutes): notices of positives not yet told to the
    seller, objection windows closing, overdue dispositions and supplier alerts; e-mails not yet
    sent; uploads nobody committed within a day."""
    from lims.audit.services import seal
    from lims.imports import pending
    from lims.notifications.services import send_pending_emails, sweep

    created = sweep()
    db.session.commit()
    sealed = seal(wait=True)
    db.session.commit()
    from lims import pagestore
    from lims.pagecache import prune

    prune(db.session)  # page-cache change marks no scope needs any more
    pagestore.prune(db.session)  # shared rendered pages too old to be asked for again
    db.session.commit()
    sent = send_pending_emails()
    removed = pending.sweep()
    click.echo(f"{counted(created, 'new notification')}, {counted(sent, 'e-mail')} sent, "
               f"{counted(removed, 'expired upload')} removed, {counted(sealed, 'audit entry', 'audit entries')} sealed")


@lims_cli.command("worker")
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(1, 16),
              help="Jobs run at the same time by this worker.")
@click.option("--queue", "queues", multiple=True, type=click.Choice(["imports", "reports", "notices"]),
              help="Only these queues (repeatable); default all.")
@click.option("--once", is_flag=True, help="Run the jobs waiting now and stop.")
@click.option("--stalled-after", default=30.0, show_default=True, type=click.FloatRange(2, 3600),
              help="Seconds without a heartbeat after which another worker's jobs are taken over.")
def worker_command(concurrency, queues, once, stalled_after):
    """Run background jobs (imports above a size, reports over many sites, e-mail) until stopped.
    PostgreSQL only: on SQLite the web process runs them itself."""
    from lims.jobs import engine

    if db.engine.dialect.name != "postgresql":
        fail("lims worker needs PostgreSQL (LIMS_DATABASE_URL); on SQLite the web process runs jobs itself")
    if not engine.schema_present():
        fail("the job queue's tables are missing: run `lims init` first")
    click.echo(f"worker: {concurrency} at a time, queues {', '.join(queues) or 'all'}; Ctrl-C stops")
    engine.run_worker(concurrency=concurrency, queues=list(queues) or None, once=once,
                      stalled_after=stalled_after, heartbeat=max(1.0, min(5.0, stalled_after / 4)))


@lims_cli.command("backup")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="A .tar.gz archive to write.")
def backup_command(out):
    """A consistent copy of the database and the stored files (imports, photos)."""
    from lims.backup import write_backup

    try:
        summary = write_backup(out)
    except (OSError, RuntimeError) as exc:
        fail(f"backup failed: {exc}")
    click.echo(summary)


@lims_cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def restore_command(file):
    """Restore a `lims backup` archive into an EMPTY database and data directory (refuses
    otherwise), then check the audit trail. Needs the same LIMS_AUDIT_KEY as the system that
    made the backup."""
    from lims.audit.services import verify
    from lims.backup import RestoreRefused, restore_backup

    try:
        summary = restore_backup(file)
    except RestoreRefused as exc:
        fail(f"restore refused: {exc}")
    except (OSError, RuntimeError) as exc:
        fail(f"restore failed: {exc}")
    click.echo(summary)
    from flask_migrate import upgrade

    db.session.remove()
    db.engine.dispose()
    upgrade()  # a backup of an older version: its schema brought up to this one
    from lims.jobs.engine import apply_schema

    apply_schema()  # and the job queue's tables, if the backup was made before there was one
    result = verify()
    click.echo(describe_verification(result))
    if not result.ok:
        fail("the restored audit trail does not verify: is LIMS_AUDIT_KEY the one the backed-up system used?")
