"""Every setting is documented in the README."""

from __future__ import annotations

from pathlib import Path

from langtutor.config import Settings


def test_every_setting_is_in_the_readme(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text()
    missing = [name for name in Settings.model_fields if f"`LANGTUTOR_{name}`" not in readme]
    assert not missing, f"settings missing from README.md: {missing}"


def test_readme_opens_with_the_two_commands(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text()
    first_block = readme.split("```", 2)[1]
    assert "make run" in first_block
    assert "make test" in first_block
