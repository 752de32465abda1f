"""`python -m services.workbench create-account USERNAME --role R --organisation O [--name N] [--email E]`,
and `send-reminders`, the daily job."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from datetime import date

from services.workbench import accounts
from services.workbench.casework import today
from services.workbench.config import WorkbenchSettings
from shared.auth import ROLES
from shared.db import make_engine, make_sessionmaker


def create_account(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.workbench create-account",
                                     description="Add a person who may sign in to the workbench.")
    parser.add_argument("username")
    parser.add_argument("--role", required=True, choices=ROLES)
    parser.add_argument("--organisation", required=True,
                        help="taskforce, a ROM id (oost-nl, bom...), or a CBS code (GM0153, PV23)")
    parser.add_argument("--name", default="", help="the person's name as the pages show it")
    parser.add_argument("--email", default="", help="where follow-up reminders are mailed (coordinators)")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    parser.add_argument("--replace", action="store_true", help="reset an existing account")
    args = parser.parse_args(argv)
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else _ask_password()
    settings = WorkbenchSettings()
    try:
        account = accounts.create(settings.accounts_file, username=args.username, name=args.name, role=args.role,
                                  organisation=args.organisation, password=password, replace=args.replace,
                                  email=args.email)
    except accounts.AccountError as err:
        print(f"not created: {err}", file=sys.stderr)
        return 2
    print(f"account {account.username} ({account.role}, {account.organisation}) saved in {settings.accounts_file}")
    return 0


def _ask_password() -> str:
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        print("the two passwords differ", file=sys.stderr)
        raise SystemExit(2)
    return first


def send_reminders(argv: list[str]) -> int:
    """`python -m services.workbench send-reminders [--date YYYY-MM-DD]`: the daily job (cron, a CronJob)."""
    parser = argparse.ArgumentParser(prog="python -m services.workbench send-reminders",
                                     description="Mail each case owner the follow-ups due today or overdue "
                                                 "(once per reminder per day, however often it runs).")
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="the day to run for (default: today)")
    args = parser.parse_args(argv)
    return asyncio.run(_send_reminders(WorkbenchSettings(), args.date or today()))


async def _send_reminders(settings: WorkbenchSettings, today: date) -> int:
    from services.workbench.reminders import send_due_reminders

    engine = make_engine(settings.database_url, pool_size=2)
    try:
        result = await send_due_reminders(make_sessionmaker(engine), settings, accounts.load(settings.accounts_file),
                                          today)
    finally:
        await engine.dispose()
    print(f"{result.sent} sent, {result.already} already sent today, {result.no_address} without an address, "
          f"{result.refused} refused (tried again next run)")
    return 1 if result.refused else 0
