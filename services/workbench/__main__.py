import sys
from pathlib import Path

if sys.argv[1:2] == ["create-account"]:
    from services.workbench.cli import create_account

    sys.exit(create_account(sys.argv[2:]))
if sys.argv[1:2] == ["send-reminders"]:
    from services.workbench.cli import send_reminders

    sys.exit(send_reminders(sys.argv[2:]))

from services.workbench.app import create_app
from services.workbench.config import WorkbenchSettings
from shared.runtime import main

sys.exit(main("workbench", WorkbenchSettings(), Path(__file__).parent / "migrations", create_app, sys.argv[1:]))
