import sys
from pathlib import Path

from services.reporting.app import create_app
from services.reporting.config import ReportingSettings
from shared.runtime import main

sys.exit(main("reporting", ReportingSettings(), Path(__file__).parent / "migrations", create_app, sys.argv[1:]))
