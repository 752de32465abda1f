import sys
from pathlib import Path

from services.matching.config import MatchingSettings


def run(argv: list[str]) -> int:
    """`python -m services.matching [serve|migrate|import-sites FILE ...]`."""
    if argv[:1] == ["import-sites"]:
        from services.matching import cli

        return cli.main(argv[1:])
    from services.matching.app import create_app
    from shared.runtime import main

    return main("matching", MatchingSettings(), Path(__file__).parent / "migrations", create_app, argv)


sys.exit(run(sys.argv[1:]))
