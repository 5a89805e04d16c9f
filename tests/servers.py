"""Real servers on 127.0.0.1: an ASGI app under uvicorn in a thread of this process, or
`langtutor serve` as a process of its own."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn


class ThreadedServer:
    def __init__(self, app: Any, port: int = 0, lifespan: str = "on") -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", port))
        self.port: int = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan=lifespan)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A server as a real process on 127.0.0.1: `langtutor serve` by default, configured
    through LANGTUTOR_* variables, or any command that listens on `self.port`."""

    def __init__(
        self,
        settings: dict[str, str] | None = None,
        workers: int = 1,
        log: Path | None = None,
        command: list[str] | None = None,
        ready_path: str = "/healthz",
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {
            f"LANGTUTOR_{name}": value for name, value in (settings or {}).items()
        }
        # A data directory of its own (audio cache, the workers' metrics files) unless given.
        self.own_data_dir: str | None = None
        if "LANGTUTOR_DATA_DIR" not in self.env:
            self.own_data_dir = tempfile.mkdtemp(prefix="langtutor-data-")
            self.env["LANGTUTOR_DATA_DIR"] = self.own_data_dir
        self.args = command or [
            str(Path(sys.executable).parent / "langtutor"),
            "serve",
            "--workers",
            str(workers),
        ]
        self.args = [*self.args, "--port", str(self.port)]
        self.ready_path = ready_path
        self.workers = workers
        # With several workers, start() reads the log for each one's start.
        if log is None and workers > 1:
            log = Path(tempfile.mkdtemp(prefix="langtutor-log-")) / "server.log"
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 60) -> ServerProcess:
        # The child keeps its own copy of the log's descriptor; ours can close at once.
        with open(self.log or os.devnull, "wb") as out:
            self.proc = subprocess.Popen(
                self.args, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout_s
        while True:
            with contextlib.suppress(httpx.HTTPError):
                # Any HTTP answer means it listens (the fake model answers GET with 405).
                httpx.get(f"{self.url}{self.ready_path}", timeout=1)
                if self._started_workers() >= self.workers:
                    return self
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.args[0]} did not come up (see {self.log})")
            time.sleep(0.1)

    def _started_workers(self) -> int:
        """How many workers have started (one answers before the others may be up)."""
        if self.workers == 1 or self.log is None:
            return 1
        return self.log.read_text(errors="replace").count("Application startup complete")

    def terminate(self, timeout_s: float = 60) -> int:
        """SIGTERM, as an orchestrator sends it; the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.terminate()
        if self.own_data_dir is not None:
            shutil.rmtree(self.own_data_dir, ignore_errors=True)
