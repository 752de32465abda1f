import sys
from pathlib import Path

from services.matching.app import create_app
from services.matching.config import MatchingSettings
from shared.runtime import main

sys.exit(main("matching", MatchingSettings(), Path(__file__).parent / "migrations", create_app, sys.argv[1:]))
