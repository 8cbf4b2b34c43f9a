"""Local execution environments: one Python process per warm "container" of a function.

On Lambda every function runs in processes of its own, with only its own environment, and
every module-level cache (settings, clients, secrets, the authorizer's user cache) belongs
to that one function. ``Worker`` is such a process (``local/lambda_bootstrap.py``), with
the environment ``local.lambda_env.lambda_environment`` gives the function and its code
folder and layers first on ``sys.path`` (the repository is not importable from it);
``invoke`` sends it one event and waits for the answer.

The local gateway forks its workers from a ``Zygote`` that has imported the heavy,
configuration-free packages once, so a cold start costs tens of milliseconds;
``local.artifacts`` starts each from scratch in a bare interpreter with exactly Lambda's
``sys.path`` over the built artifacts. With ``record_calls`` a process records every AWS
call the function makes (``local.aws_calls``) and hands them back with each answer.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

BOOTSTRAP = (Path(__file__).resolve().parent / "lambda_bootstrap.py").read_text(encoding="utf-8")
# What a local fork server imports once for every function process: the runtime's boto3 and the
# core layer's frameworks. None of them reads our configuration at import (Powertools reads its
# variables when a Logger or resolver is built, inside the function's own process).
PRELOAD = [
    "boto3",
    "botocore.session",
    "pydantic",
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.logging",
]
RECORDER_FILE = str(Path(__file__).resolve().parent / "aws_calls.py")


class FunctionError(RuntimeError):
    """The function raised (or could not start): Lambda's ``errorType``/``errorMessage``."""

    def __init__(self, logical_id: str, error: dict[str, Any], *, init: bool = False) -> None:
        self.error_type = str(error.get("errorType", "Error"))
        self.error_message = str(error.get("errorMessage", ""))
        self.init = init
        super().__init__(f"{logical_id}: {self.error_type}: {self.error_message}")


@dataclass
class WorkerSpec:
    logical_id: str
    handler: str  # module.attr, as in the template
    code_dir: Path
    env: dict[str, str]
    layer_dirs: list[Path] = field(default_factory=list)
    exact_path: list[str] | None = None  # the whole sys.path (built artifacts); None = prepend to ours
    python: list[str] = field(default_factory=lambda: [sys.executable])
    memory_mb: int = 256
    timeout_s: int = 10
    record_calls: bool = False
    log_path: Path | None = None  # the process's stdout and stderr; None = this process's own


def _read_frame(fh: BinaryIO) -> Any:
    head = fh.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    return json.loads(fh.read(size))


def _write_frame(fh: BinaryIO, obj: Any) -> None:
    data = json.dumps(obj).encode("utf-8")
    fh.write(struct.pack(">I", len(data)) + data)
    fh.flush()


class Zygote:
    """A fork server for local function processes (``lambda_bootstrap.py zygote``).

    A function process started from scratch spends most of its cold start importing the same
    third-party packages (boto3, pydantic, Powertools). The zygote imports those once, with
    none of our variables set, and forks each new process from there; the child then takes
    its function's environment and imports the function itself, khaya included. So each
    process still has only its own environment and its own khaya module state; what it
    shares, copy-on-write, is packages that read no configuration at import.
    """

    def __init__(self, env: dict[str, str], preload: list[str], python: str = sys.executable) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.proc = subprocess.Popen(  # noqa: S603 - our interpreter and bootstrap
            [python, "-c", BOOTSTRAP, "zygote", str(theirs.fileno()), *preload],
            cwd="/",
            env=env,
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self._ctl = ours
        self._lock = threading.Lock()

    def fork(self, env: dict[str, str], cwd: Path, fds: tuple[int, int]) -> int:
        request = json.dumps({"env": env, "cwd": str(cwd)}).encode("utf-8")
        with self._lock:
            socket.send_fds(self._ctl, [request], list(fds))
            reply = self._ctl.recv(4)
        if len(reply) < 4:
            raise RuntimeError("the local function fork server has exited")
        return int(struct.unpack(">I", reply)[0])

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._ctl.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Worker:
    """One function process; not thread-safe (a pool hands it to one caller at a time).

    Started from scratch (a fresh interpreter), or forked by a ``Zygote`` when one is given.
    """

    def __init__(self, spec: WorkerSpec, zygote: Zygote | None = None) -> None:
        self.spec = spec
        self.proc: subprocess.Popen[bytes] | None = None
        self.pid = 0
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            if zygote is not None:
                self.pid = zygote.fork(spec.env, spec.code_dir, (to_child_r, from_child_w))
            else:
                self.proc = self._spawn(spec, to_child_r, from_child_w)
                self.pid = self.proc.pid
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._to: BinaryIO = os.fdopen(to_child_w, "wb")
        self._from: BinaryIO = os.fdopen(from_child_r, "rb")
        name = f"khaya-local-{spec.logical_id}"
        _write_frame(
            self._to,
            {
                "logical_id": spec.logical_id,
                "function_name": name,
                "function_arn": f"arn:aws:lambda:af-south-1:123456789012:function:{name}",
                "handler": spec.handler,
                "path": spec.exact_path,
                "prepend": [str(spec.code_dir), *(str(p) for p in spec.layer_dirs)],
                "memory_mb": spec.memory_mb,
                "timeout_s": spec.timeout_s,
                "recorder": RECORDER_FILE if spec.record_calls else None,
            },
        )
        self.calls: list[list[str]] = []  # AWS calls recorded by the last invocation
        self.broken = False

    @staticmethod
    def _spawn(spec: WorkerSpec, fd_in: int, fd_out: int) -> subprocess.Popen[bytes]:
        log = open(spec.log_path, "ab") if spec.log_path else None  # noqa: SIM115 - the child keeps it
        try:
            return subprocess.Popen(  # noqa: S603 - our interpreter and bootstrap
                [*spec.python, "-c", BOOTSTRAP, str(fd_in), str(fd_out)],
                cwd=spec.code_dir,
                env=spec.env,
                pass_fds=(fd_in, fd_out),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT if log else None,
            )
        finally:
            if log:
                log.close()

    def invoke(self, event: Any, request_id: str | None = None) -> Any:
        try:
            _write_frame(self._to, {"event": event, "requestId": request_id or uuid.uuid4().hex})
            reply = _read_frame(self._from)
        except (BrokenPipeError, OSError, ValueError) as exc:
            self.broken = True
            error = {"errorType": "Runtime.ExitError", "errorMessage": str(exc)}
            raise FunctionError(self.spec.logical_id, error) from exc
        if reply is None:
            self.broken = True
            raise FunctionError(self.spec.logical_id, {"errorType": "Runtime.ExitError", "errorMessage": "exited"})
        self.calls = reply.get("calls") or []
        if "error" in reply:
            if reply.get("init"):
                self.broken = True  # Lambda starts a fresh environment after a failed init
            raise FunctionError(self.spec.logical_id, reply["error"], init=bool(reply.get("init")))
        return reply["result"]

    def close(self) -> None:
        """End of input: the process finishes what it is doing and exits."""
        for fh in (self._to, self._from):
            with contextlib.suppress(OSError):
                fh.close()

    def stop(self, timeout: float = 5) -> None:
        self.close()
        if self.proc is not None:
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            return
        deadline = time.monotonic() + timeout  # a zygote's child: the kernel reaps it
        while time.monotonic() < deadline and _alive(self.pid):
            time.sleep(0.01)
        if _alive(self.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class WorkerPool:
    """The warm environments of one function: a free one is reused, a new one is started
    when all are busy (concurrent requests run in parallel, each in its own process)."""

    def __init__(self, make_spec: Any, zygote: Zygote | None = None) -> None:
        self._make_spec = make_spec
        self._zygote = zygote
        self._lock = threading.Lock()
        self._free: list[Worker] = []
        self._all: list[Worker] = []
        self.on_calls: Any = None  # callback(list of recorded calls) after each invocation

    @property
    def started(self) -> int:
        return len(self._all)

    def invoke(self, event: Any, request_id: str | None = None) -> Any:
        with self._lock:
            worker = self._free.pop() if self._free else None
        if worker is None:
            worker = Worker(self._make_spec(), self._zygote)
            with self._lock:
                self._all.append(worker)
        try:
            return worker.invoke(event, request_id)
        finally:
            if worker.calls and self.on_calls is not None:
                self.on_calls(worker.calls)
            if worker.broken:
                worker.stop(timeout=1)
                with self._lock:
                    self._all.remove(worker)
            else:
                with self._lock:
                    self._free.append(worker)

    def stop(self) -> None:
        with self._lock:
            workers, self._all, self._free = self._all, [], []
        stop_all(workers)


def stop_all(workers: list[Worker], timeout: float = 5) -> None:
    """Close every worker's input at once, then wait: they exit in parallel."""
    for w in workers:
        w.close()
    for w in workers:
        w.stop(timeout=timeout)


class WorkerPools:
    """A ``WorkerPool`` per function of the template, started lazily; ``spec_for(fn)``
    builds the process spec of one of its environments."""

    def __init__(self, fns: list[Any], spec_for: Any, on_calls: Any = None, zygote: Zygote | None = None) -> None:
        self._pools: dict[str, WorkerPool] = {}
        self.zygote = zygote
        for fn in fns:
            pool = WorkerPool(lambda fn=fn: spec_for(fn), zygote)
            pool.on_calls = on_calls
            self._pools[fn.logical_id] = pool

    def __getitem__(self, logical_id: str) -> WorkerPool:
        return self._pools[logical_id]

    def __contains__(self, logical_id: object) -> bool:
        return logical_id in self._pools

    def stop(self) -> None:
        workers: list[Worker] = []
        for pool in self._pools.values():
            with pool._lock:
                workers += pool._all
                pool._all, pool._free = [], []
        stop_all(workers)
        if self.zygote is not None:
            self.zygote.stop()


class CallLog:
    """Appends the AWS calls recorded in function processes to a file, one JSON line each
    (``[function, action, resource, via]``); the test suites read it back."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()

    def __call__(self, calls: list[list[str]]) -> None:
        lines = "".join(json.dumps(c) + "\n" for c in calls)
        with self._lock, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(lines)
