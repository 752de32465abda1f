import sys
from pathlib import Path

from services.notifications.app import create_app
from services.notifications.config import NotificationsSettings
from shared.runtime import main

sys.exit(main("notifications", NotificationsSettings(), Path(__file__).parent / "migrations", create_app,
              sys.argv[1:]))
