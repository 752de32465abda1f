import sys
from pathlib import Path

from services.intake.app import create_app
from services.intake.config import IntakeSettings
from shared.runtime import main

sys.exit(main("intake", IntakeSettings(), Path(__file__).parent / "migrations", create_app, sys.argv[1:]))
