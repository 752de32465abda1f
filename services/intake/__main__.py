"""`python -m services.intake [serve|migrate|import-csv FILE --organisation ORG]`."""

import sys
from pathlib import Path

from services.intake.app import create_app
from services.intake.config import IntakeSettings
from shared.runtime import main

if sys.argv[1:2] == ["import-csv"]:
    from services.intake.cli import main as import_csv

    sys.exit(import_csv(sys.argv[2:]))
sys.exit(main("intake", IntakeSettings(), Path(__file__).parent / "migrations", create_app, sys.argv[1:]))
