"""What starting, turns and the summary use of the `Conversations` service object: its parts,
as a protocol, so that those modules need not import the service that calls them."""

from __future__ import annotations

from typing import Protocol

from langtutor.activity.logger import BatchLogger
from langtutor.db import Database
from langtutor.generation.service import Generation


class Parts(Protocol):
    @property
    def generation(self) -> Generation: ...
    @property
    def activity(self) -> BatchLogger: ...
    @property
    def db(self) -> Database: ...
    @property
    def max_turns(self) -> int: ...
    @property
    def context_chars(self) -> int: ...
