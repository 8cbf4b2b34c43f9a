"""One local execution environment: a fresh Python process that serves one function.

``local.runtime`` runs this file's source with ``python -c`` in the function's own
environment (nothing else of ours is in it), with its code folder as the working
directory, as Lambda does with ``/var/task``. The first frame it reads says where to find
the code (``sys.path`` is set from it, so the repository is not importable) and which
handler to load; then every frame is one event, answered with the handler's result, or
with the error as Lambda reports one (``errorType``, ``errorMessage``, ``stackTrace``).
An import error is reported for every event, as Lambda does for a function whose init
failed.

Frames travel on their own pipes (file descriptors ``argv[1]`` in, ``argv[2]`` out): 4
bytes of length, big-endian, then JSON. Whatever the handler prints stays on stdout and
stderr, which the parent shares. Only the standard library is imported here.

``zygote <fd> <module>...`` instead makes this process a fork server: it imports the given
third-party modules once, then forks one such environment per request received on the
UNIX socket ``<fd>`` (its environment, its folder and its two pipes).
"""

import contextlib
import importlib
import importlib.util
import json
import os
import signal
import struct
import sys
import time
import traceback


def _read(fh):
    head = fh.read(4)
    if len(head) < 4:
        return None
    (size,) = struct.unpack(">I", head)
    return json.loads(fh.read(size))


def _write(fh, obj):
    data = json.dumps(obj).encode("utf-8")
    fh.write(struct.pack(">I", len(data)) + data)
    fh.flush()


class Context:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    def __init__(self, spec, request_id, deadline):
        self.function_name = spec["function_name"]
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = spec["memory_mb"]
        self.invoked_function_arn = spec["function_arn"]
        self.aws_request_id = request_id
        self.log_group_name = "/aws/lambda/" + spec["function_name"]
        self.log_stream_name = "local"
        self._deadline = deadline

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error(exc):
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def serve(inp, out):
    """Be one function's environment: read its spec, import it, answer events until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent ends us by closing our input
    spec = _read(inp)
    if spec is None:
        os._exit(0)
    if spec.get("path") is not None:
        sys.path[:] = spec["path"]  # exactly these folders
    else:
        sys.path[:] = [*spec["prepend"], *(p for p in sys.path if p and p != os.getcwd())]
    recorder = None
    if spec.get("recorder"):
        loader = importlib.util.spec_from_file_location("_khaya_local_aws_calls", spec["recorder"])
        module = importlib.util.module_from_spec(loader)
        sys.modules[loader.name] = module
        loader.loader.exec_module(module)
        recorder = module.recorder()
    handler = None
    init_error = None
    try:
        module_name, attr = spec["handler"].rsplit(".", 1)
        handler = getattr(importlib.import_module(module_name), attr)
    except Exception as exc:  # Runtime.ImportModuleError / HandlerNotFound on Lambda
        init_error = _error(exc)
        init_error["errorType"] = "Runtime.ImportModuleError: " + init_error["errorType"]
        print(f"[ERROR] init of {spec['function_name']} failed: {traceback.format_exc()}", file=sys.stderr, flush=True)
    while True:
        frame = _read(inp)
        if frame is None:  # the environment is reclaimed: no interpreter teardown, as on Lambda
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        if init_error is not None:
            _write(out, {"error": init_error, "init": True})
            continue
        ctx = Context(spec, frame["requestId"], time.monotonic() + spec["timeout_s"])
        try:
            if recorder is not None:
                with recorder.attributed(spec["logical_id"]):
                    result = handler(frame["event"], ctx)
            else:
                result = handler(frame["event"], ctx)
            reply = {"result": result}
            json.dumps(reply)  # Lambda serialises the result: what cannot be is an error
        except Exception as exc:
            reply = {"error": _error(exc)}
            print(f"[ERROR] {type(exc).__name__}: {exc}\n{traceback.format_exc()}", file=sys.stderr, flush=True)
        if recorder is not None:
            reply["calls"] = recorder.drain()
        _write(out, reply)


def zygote(ctl_fd, preload):
    """Import the configuration-free packages every function uses once, then fork a fresh
    environment per request: each child sets its own environment before it imports any
    function code, so nothing of one function is in another (see ``local.runtime``)."""
    import socket

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    for name in preload:
        with contextlib.suppress(ImportError):  # a function needing it imports it (and fails) itself
            importlib.import_module(name)
    ctl = socket.socket(fileno=ctl_fd)
    while True:
        msg, fds, _flags, _addr = socket.recv_fds(ctl, 1 << 20, 2)
        if not msg:
            os._exit(0)
        request = json.loads(msg)
        pid = os.fork()
        if pid == 0:
            ctl.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.environ.clear()
            os.environ.update(request["env"])
            os.chdir(request["cwd"])
            try:
                serve(os.fdopen(fds[0], "rb"), os.fdopen(fds[1], "wb"))
            finally:
                os._exit(1)
        for fd in fds:
            os.close(fd)
        ctl.sendall(struct.pack(">I", pid))


if sys.argv[1] == "zygote":
    zygote(int(sys.argv[2]), sys.argv[3:])
else:
    serve(os.fdopen(int(sys.argv[1]), "rb"), os.fdopen(int(sys.argv[2]), "wb"))
