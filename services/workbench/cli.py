"""`python -m services.workbench create-account USERNAME --role R --organisation O [--name N]`."""

from __future__ import annotations

import argparse
import getpass
import sys

from services.workbench import accounts
from services.workbench.config import WorkbenchSettings
from shared.auth import ROLES


def create_account(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.workbench create-account",
                                     description="Add a person who may sign in to the workbench.")
    parser.add_argument("username")
    parser.add_argument("--role", required=True, choices=ROLES)
    parser.add_argument("--organisation", required=True,
                        help="taskforce, a ROM id (oost-nl, bom...), or a CBS code (GM0153, PV23)")
    parser.add_argument("--name", default="", help="the person's name as the pages show it")
    parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    parser.add_argument("--replace", action="store_true", help="reset an existing account")
    args = parser.parse_args(argv)
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else _ask_password()
    settings = WorkbenchSettings()
    try:
        account = accounts.create(settings.accounts_file, username=args.username, name=args.name, role=args.role,
                                  organisation=args.organisation, password=password, replace=args.replace)
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
