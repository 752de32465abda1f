"""A hang fails the test that hangs, with the stack of the awaiting task, and the run goes on."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from deploy.processes import ROOT

HANGING = textwrap.dedent('''
    import asyncio

    import pytest


    async def wait_for_a_broker_that_never_answers():
        await asyncio.Event().wait()


    @pytest.fixture
    async def stuck_teardown():
        yield
        await wait_for_a_broker_that_never_answers()


    @pytest.mark.timeout(2)
    async def test_hangs():
        await wait_for_a_broker_that_never_answers()


    @pytest.mark.timeout(2)
    async def test_hangs_in_teardown(stuck_teardown):
        pass


    def test_after_the_hangs():
        pass
''')


# The plugins the hanging tests need, and no others: the installed ones (hypothesis, schemathesis, ...) took
# 4.5 s of CPU to load in the inner pytest, over half of this test's time on a quiet machine.
PLUGINS = ["-p", "pytest_asyncio.plugin", "-p", "pytest_timeout", "-p", "tests.conftest"]


def test_a_hanging_async_test_and_teardown_fail_with_the_task_stack_and_the_run_goes_on(tmp_path):
    test_file = tmp_path / "test_hanging.py"
    test_file.write_text(HANGING)
    run = subprocess.run([sys.executable, "-m", "pytest", str(test_file), *PLUGINS, "-q",
                          "-p", "no:cacheprovider", "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env=os.environ | {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "1 failed, 2 passed, 1 error" in out, out  # the teardown error is its test's second report
    assert out.count("Timeout (>2.0s)") >= 2, out
    assert out.count("await wait_for_a_broker_that_never_answers()") >= 2, out  # where each task waits
