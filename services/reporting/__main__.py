import sys
from pathlib import Path

from services.reporting.app import create_app
from services.reporting.cli import run
from services.reporting.config import ReportingSettings
from shared.runtime import main

own = run(sys.argv[1:])
sys.exit(own if own is not None else main("reporting", ReportingSettings(), Path(__file__).parent / "migrations",
                                          create_app, sys.argv[1:]))
