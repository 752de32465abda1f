"""Headless Chromium (Debian's `chromium`) for screenshots and PDFs: no network, a throw-away profile.

Synchronous on purpose: callers in an event loop run it in a thread (asyncio.to_thread).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run")


def binary(name: str) -> str:
    """The Chromium executable; a clear error when it is not installed."""
    found = shutil.which(name)
    if not found:
        raise ValueError(f"{name!r} not found: install Debian's chromium (apt-get install chromium), "
                         "or write HTML only with --no-pdf")
    return found


def run(name: str, *args: str, timeout: float = 90) -> str:
    """Run Chromium with the safe flags and a fresh profile; returns its stdout."""
    with tempfile.TemporaryDirectory(prefix="reporting-chromium-") as profile:
        try:
            done = subprocess.run([binary(name), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                                  timeout=timeout, text=True, check=False)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"chromium did not finish within {timeout:.0f} s") from None
    if done.returncode != 0:
        raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr[-500:]}")
    return done.stdout


def print_pdf(name: str, page: Path, pdf: Path) -> Path:
    """Print an HTML file to PDF (no browser header or footer)."""
    run(name, "--no-pdf-header-footer", f"--print-to-pdf={pdf.resolve()}", page.resolve().as_uri())
    if not pdf.exists() or pdf.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no PDF to {pdf}")
    return pdf
