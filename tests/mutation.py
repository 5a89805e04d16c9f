"""A pytest plugin for `make mutation` only (mutmut loads it, see `[tool.mutmut]` in
pyproject.toml and docs/mutation.md).

mutmut runs each mutant against the tests that called the mutated function. This plugin keeps,
of those, the tests of the mutated module's own domain: a mutant of `langtutor.<domain>.…` is
judged by `tests/<domain>/` (and the folders named below, whose tests speak for that domain
through their own routes). A test elsewhere that merely passes through the function (every
request reads a token and logs an entry) does not pin its behaviour, and running it for each
mutant would only make the run hours long.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
from hypothesis import Phase, settings

# A property that fails for a mutant has made its point: no shrinking to a minimal example
# (minutes per mutant), and no examples saved for later runs.
settings.register_profile(
    "mutation", phases=[Phase.explicit, Phase.reuse, Phase.generate], database=None
)
settings.load_profile("mutation")
# Behaviour of a domain that tests of another domain pin through their routes.
ALSO_JUDGED_BY = {
    "review": ("tests/practice/", "tests/conversation/"),  # cards from mistakes, corrections
    "activity": ("tests/review/test_learner_day.py",),  # reviews on the learner's local day
}
# Modules above the domains, judged by the tests of the domain whose behaviour they report.
JUDGED_AS = {"progress": "activity"}  # langtutor.progress: /progress, tests/activity/


def judges(mutant: str) -> tuple[str, ...] | None:
    """The test paths that judge a mutant named as mutmut names it (`langtutor.review.service.
    x_queue__mutmut_3`), or None outside a mutant's run (statistics, the clean run)."""
    parts = mutant.split(".")
    if len(parts) < 3 or parts[0] != "langtutor":
        return None
    domain = JUDGED_AS.get(parts[1], parts[1])
    return (f"tests/{domain}/", *ALSO_JUDGED_BY.get(domain, ()))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    paths = judges(os.environ.get("MUTANT_UNDER_TEST", ""))
    if paths is None:
        return
    kept = [item for item in items if item.nodeid.startswith(paths)]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


# -- mutants that never end -----------------------------------------------------------------

# mutmut's own limit is CPU seconds for all the tests of the mutated function together: minutes
# for the logger's, whose mutants that loop would each hold a worker that long. A test that
# runs `SLOWER` times as long as in the clean run (plus `GRACE_S`) is stopped, and the mutant
# counted as mutmut counts one out of CPU time: a timeout (caught).
TIMEOUT_EXIT = 36  # mutmut's exit code for "timeout"
SLOWER = 5
GRACE_S = 5.0


def _clean_durations() -> dict[str, float]:
    """Each test's seconds in the clean run (mutmut runs from `mutants/`, where it keeps them)."""
    try:
        stats = json.loads(Path("mutmut-stats.json").read_text())
        return dict(stats["duration_by_test"])
    except (OSError, ValueError, KeyError):
        return {}


_DURATIONS = _clean_durations()


def _stop(_signum: int, _frame: FrameType | None) -> None:
    os._exit(TIMEOUT_EXIT)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    if judges(os.environ.get("MUTANT_UNDER_TEST", "")) is None:
        yield
        return
    limit = GRACE_S + SLOWER * _DURATIONS.get(item.nodeid, GRACE_S)
    previous = signal.signal(signal.SIGALRM, _stop)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- the report: `mutmut results --all true | python -m tests.mutation` ---------------------

# Killed by a test, stopped for taking far longer than its tests (an endless loop), or
# refused by mypy, which `make test` runs: each is a mutant the checks catch.
CAUGHT = ("killed", "timeout", "caught by type check")
REQUIRED_RATE = 0.85


def report(lines: list[str]) -> float:
    """Mutants per module and status, and the share caught; prints the survivors."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    survivors = []
    for line in lines:
        name, _, status = line.strip().rpartition(": ")
        if not name.startswith("langtutor."):
            continue
        module = name.rsplit(".", 1)[0]
        counts[module][status] += 1
        if status not in CAUGHT:
            survivors.append(f"{status}: {name}")
    total = Counter[str]()
    for module, found in sorted(counts.items()):
        total.update(found)
        print(f"{module:34} {_rate(found):6.1%}  {dict(sorted(found.items()))}")
    rate = _rate(total)
    print(f"{'all':34} {rate:6.1%}  {dict(sorted(total.items()))}")
    print("\n".join(["", "not caught:", *sorted(survivors)]))
    return rate


def _rate(found: Counter[str]) -> float:
    tested = sum(found.values()) - found["skipped"]
    return sum(found[status] for status in CAUGHT) / tested if tested else 0.0


if __name__ == "__main__":
    rate = report(sys.stdin.read().splitlines())
    print(f"\ncaught {rate:.1%} of the mutants (at least {REQUIRED_RATE:.0%} wanted)")
    sys.exit(0 if rate >= REQUIRED_RATE else 1)
