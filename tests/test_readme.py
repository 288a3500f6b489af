"""The README promises things; these tests keep the promises honest."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_readme_settings_table_matches_settings_class() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- settings:start -->\n(.*?)\n<!-- settings:end -->", readme, re.S)
    assert block, "README.md lacks the settings table markers"
    generated = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "settings_table.py")],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    ).stdout.strip()
    assert "PydanticUndefined" not in generated, "a setting's default is shown as PydanticUndefined"
    assert block.group(1).strip() == generated, "README settings table is stale: run scripts/settings_table.py"


def test_readme_has_space_front_matter_and_both_commands() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    front = readme.split("---")[1]
    assert "sdk: gradio" in front and "app_file: app.py" in front
    assert "python app.py" in readme
    assert "bash scripts/test.sh" in readme
    assert "scripts/test.sh" in (REPO_ROOT / ".ci" / "run").read_text()
