"""Every benchmark script still imports: a refactor that moves what one uses fails here, not
on the day someone runs it."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

SCRIPTS = sorted(
    path.stem
    for path in (Path(__file__).resolve().parent.parent / "benchmarks").glob("*.py")
    if not path.stem.startswith("_")
)


@pytest.mark.parametrize("name", SCRIPTS)
def test_benchmark_imports(name: str) -> None:
    module = importlib.import_module(f"benchmarks.{name}")
    assert callable(module.main)


def test_the_content_quality_harness_runs_on_the_fake_model(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """CI-size: two generations per content type, against the fake model."""
    from benchmarks import content_quality

    content_quality.main(["--fake", "--n", "2"])
    printed = capsys.readouterr().out
    assert "fake-model · 2 generations per content type" in printed
    assert printed.count("100%") >= 15  # es and fr pairs: everything passes
