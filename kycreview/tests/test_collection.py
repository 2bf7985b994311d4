"""Every app's test modules run in a whole-suite run; leaving one out fails the run."""

import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import repo_test_modules

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_module_sits_under_a_testpath():
    testpaths = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["testpaths"]
    modules = {path.relative_to(ROOT) for path in repo_test_modules(ROOT)}
    assert Path("vault/tests/test_at_rest.py") in modules
    outside = sorted(str(path) for path in modules if path.parts[0] not in testpaths)
    assert outside == []


def test_a_whole_run_fails_when_a_test_module_is_not_collected():
    # given testpaths without most apps (as vault was once left out), when the suite is collected
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-o", "testpaths=kycreview"],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    # then the run fails and names what it left out
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "test modules not collected" in result.stdout
    assert "vault/tests/test_at_rest.py" in result.stdout
    assert "kycreview/tests/test_collection.py" not in result.stdout.split("test modules not collected")[1]
