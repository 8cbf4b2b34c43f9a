"""DynamoDB Local, AWS's own DynamoDB engine, for the local stage and the tests that race.

AWS ships DynamoDB Local 1.25.1 (``DynamoDBLocal.jar``, ``DynamoDBLocal_lib/`` with the
sqlite4java natives, and AWS's ``sha256`` of the distribution) inside the npm package
``amplify-dynamodb-simulator@2.9.30``, folder ``emulator/``. ``install()`` takes it from there
once with ``npm pack``, checks the jar against the SHA-256 pinned below and unpacks the jar, its
Java libraries and the Linux natives into a cache (``.local-data/dynamodb-local/<version>``
unless ``DYNAMODB_LOCAL_DIR`` names another; ``make dynamodb-local`` fills it). ``Engine``
runs it in memory on a free loopback port (``java -Djava.library.path=<lib> -jar
DynamoDBLocal.jar -inMemory -port <port>``); DynamoDB Streams are served on the same endpoint.

``python -m local.dynamodb_local install`` fills the cache; ``python -m local.dynamodb_local
serve [--port N]`` runs the engine in the foreground.

Why not moto for this: moto copies the whole table for every ``TransactWriteItems`` and its
server applies one request at a time, so the local stage slows down as its data grows and
concurrent writes queue behind each other. DynamoDB Local keeps a transaction's cost flat and
validates requests as DynamoDB does.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any

from local.cfn import ROOT

NPM_PACKAGE = "amplify-dynamodb-simulator@2.9.30"
ENGINE_VERSION = "1.25.1"
# SHA-256 of DynamoDBLocal.jar 1.25.1 as that package ships it. The package's own ``sha256``
# file is AWS's checksum of the distribution tarball the jar came out of (checked too, as the
# release's identity); it cannot be recomputed from the unpacked files.
JAR_SHA256 = "454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7"
DISTRIBUTION_SHA256 = "55b425a9a42cfc728436eaf0e4ae64d688b64d177c99c4f4c4d7e3dbb3ac6c09"
NATIVES = ("libsqlite4java-linux-amd64.so", "libsqlite4java-linux-aarch64.so")
CACHE_ENV = "DYNAMODB_LOCAL_DIR"
DEFAULT_CACHE = ROOT / ".local-data" / "dynamodb-local"
MIN_JAVA = 11  # what DynamoDB Local 1.25 runs on; the README asks for 17
READY_TIMEOUT_S = 90.0


class EngineUnavailable(RuntimeError):
    """DynamoDB Local cannot be installed or started here (no Java, no npm, a bad download)."""


# ---------------------------------------------------------------------- install
def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE)


def home(cache: Path | None = None) -> Path:
    """Where this version of the engine is (or will be) unpacked."""
    return (cache or cache_dir()) / ENGINE_VERSION


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def complete(where: Path) -> bool:
    """True if ``where`` holds the engine with the jar we pinned."""
    jar = where / "DynamoDBLocal.jar"
    return jar.is_file() and (where / "DynamoDBLocal_lib").is_dir() and _sha256(jar) == JAR_SHA256


def installed(cache: Path | None = None) -> bool:
    return complete(home(cache))


def _wanted(name: str) -> str | None:
    """The path under the engine's home of a file of the npm package worth keeping, or None."""
    prefix = "package/emulator/"
    if not name.startswith(prefix):
        return None
    rel = name[len(prefix) :]
    if rel in ("DynamoDBLocal.jar", "sha256", "LICENSE.txt", "THIRD-PARTY-LICENSES.txt", "README.txt"):
        return rel
    lib, _, leaf = rel.partition("/")
    if lib == "DynamoDBLocal_lib" and "/" not in leaf and (leaf.endswith(".jar") or leaf in NATIVES):
        return rel
    return None


def unpack(tarball: Path, dest: Path) -> None:
    """Unpack the engine from the npm tarball into ``dest`` (which must not exist), checked."""
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=dest.parent))
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for member in tar.getmembers():
                rel = _wanted(member.name)
                if rel is None or not member.isfile():
                    continue
                target = staging / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:
                    continue
                with source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
        jar = staging / "DynamoDBLocal.jar"
        if not jar.is_file():
            raise EngineUnavailable(f"{NPM_PACKAGE} holds no emulator/DynamoDBLocal.jar")
        got = _sha256(jar)
        if got != JAR_SHA256:
            raise EngineUnavailable(f"DynamoDBLocal.jar has SHA-256 {got}, expected {JAR_SHA256}: refusing it")
        distribution = (
            (staging / "sha256").read_text(encoding="ascii").split()[0] if (staging / "sha256").is_file() else ""
        )
        if distribution != DISTRIBUTION_SHA256:
            raise EngineUnavailable(
                f"{NPM_PACKAGE} is not DynamoDB Local {ENGINE_VERSION} (sha256 file {distribution!r})"
            )
        missing = [n for n in NATIVES if not (staging / "DynamoDBLocal_lib" / n).is_file()]
        if missing:
            raise EngineUnavailable(f"{NPM_PACKAGE} lacks {', '.join(missing)}")
        staging.rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install(cache: Path | None = None, *, quiet: bool = False) -> Path:
    """The engine's home, fetching it with ``npm pack`` the first time."""
    cache = cache or cache_dir()
    where = home(cache)
    if installed(cache):
        return where
    npm = shutil.which("npm")
    if npm is None:
        raise EngineUnavailable("npm is not on PATH, so DynamoDB Local cannot be fetched")
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers: one fetches, the others wait
        if installed(cache):
            return where
        if where.exists():
            shutil.rmtree(where)  # a partial or tampered copy
        _fetch(npm, cache, where, quiet)
    return where


def _fetch(npm: str, cache: Path, where: Path, quiet: bool) -> None:
    with tempfile.TemporaryDirectory(prefix=".npm-", dir=cache) as tmp:
        if not quiet:
            print(f"fetching DynamoDB Local {ENGINE_VERSION} ({NPM_PACKAGE}) into {where}", file=sys.stderr, flush=True)
        done = subprocess.run(  # noqa: S603 - npm from PATH, fixed arguments
            [npm, "pack", NPM_PACKAGE, "--json", "--silent", "--pack-destination", tmp],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise EngineUnavailable(f"npm pack {NPM_PACKAGE} failed: {' / '.join(tail)}")
        try:
            filename = json.loads(done.stdout)[0]["filename"]
        except (ValueError, LookupError, TypeError):
            found = sorted(Path(tmp).glob("*.tgz"))
            if not found:
                raise EngineUnavailable(f"npm pack {NPM_PACKAGE} produced no tarball") from None
            filename = found[0].name
        unpack(Path(tmp) / filename, where)


# ---------------------------------------------------------------------- java
def java_version(java: str) -> int | None:
    """The major version of ``java`` (17 for "17.0.15", 8 for "1.8.0"), or None if it will not run."""
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major


def find_java() -> str:
    """``java`` from PATH, recent enough for the engine; else ``EngineUnavailable`` saying why."""
    java = shutil.which("java")
    if java is None:
        raise EngineUnavailable("java is not on PATH")
    version = java_version(java)
    if version is None:
        raise EngineUnavailable(f"{java} does not run")
    if version < MIN_JAVA:
        raise EngineUnavailable(f"{java} is Java {version}; DynamoDB Local needs {MIN_JAVA} or newer")
    return java


# ---------------------------------------------------------------------- the engine
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(endpoint: str) -> bool:
    """True once the engine answers a ListTables (any credentials do for DynamoDB Local)."""
    request = urllib.request.Request(
        endpoint,
        data=b"{}",
        method="POST",
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Authorization": "AWS4-HMAC-SHA256 Credential=local/20240101/af-south-1/dynamodb/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the process that started us dies, so a killed
    gateway or test run never leaves a JVM behind (Linux; elsewhere ``stop`` and atexit do it)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Engine:
    """One in-memory DynamoDB Local process on 127.0.0.1; ``endpoint`` once started."""

    def __init__(
        self, engine_home: Path | None = None, *, port: int | None = None, log: Path | None = None, shared: bool = True
    ) -> None:
        """``shared=False``: a database per access key and region, as DynamoDB Local keeps without
        ``-sharedDb`` (several test sessions on one engine, each with a key of its own)."""
        self.home = engine_home or home()
        self.shared = shared
        self.port = port
        self.log_path = log
        self.endpoint = ""
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._stderr = ""

    def command(self, java: str, port: int) -> list[str]:
        return [
            java,
            # The quick JIT only and the serial collector: on a 2-core machine the engine warms up
            # at once and spends about half the CPU per request that the default JIT does.
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            f"-Djava.library.path={self.home / 'DynamoDBLocal_lib'}",
            "-jar",
            str(self.home / "DynamoDBLocal.jar"),
            "-inMemory",
            *(["-sharedDb"] if self.shared else []),  # one database whatever the credentials and region of a client
            "-disableTelemetry",
            "-port",
            str(port),
        ]

    def start(self, timeout: float = READY_TIMEOUT_S) -> str:
        """Start the engine and wait until it answers; return its endpoint URL."""
        java = find_java()
        if not complete(self.home):
            raise EngineUnavailable(f"DynamoDB Local {ENGINE_VERSION} is not in {self.home}: run make dynamodb-local")
        for _ in range(3):  # a free port can be taken between choosing and binding it
            port = self.port or free_port()
            if self._launch(java, port, timeout):
                return self.endpoint
            if self.port:
                break
        raise EngineUnavailable(f"DynamoDB Local did not start: {self._tail()}")

    def _launch(self, java: str, port: int, timeout: float) -> bool:
        self._log = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115 - closed in stop()
        out: Any = self._log or subprocess.DEVNULL
        self.process = subprocess.Popen(  # noqa: S603 - java from PATH, our own arguments
            self.command(java, port),
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out if self._log else subprocess.PIPE,
            start_new_session=True,  # Ctrl-C reaches the gateway, which then stops the engine in order
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._stderr = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                self._close_log()
                return False
            if _answers(endpoint):
                self.endpoint = endpoint
                return True
            time.sleep(0.1)
        self.stop()
        raise EngineUnavailable(f"DynamoDB Local did not answer within {timeout:.0f}s")

    def _tail(self) -> str:
        logged = self.log_path is not None and self.log_path.exists()
        text = self.log_path.read_text(errors="replace") if self.log_path and logged else self._stderr
        lines = [line for line in text.strip().splitlines() if line.strip()]
        return " / ".join(lines[-3:]) or "no output"

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc is not None and proc.stderr is not None:
            proc.stderr.close()
        self._close_log()
        self.endpoint = ""

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------------- the local stage
MODES = ("auto", "local", "moto")


def start_for_stage(mode: str, moto_url: str, log: Path | None = None) -> tuple[Engine | None, str]:
    """The engine that serves the table, and its endpoint: DynamoDB Local, or moto's server.

    ``local`` insists on DynamoDB Local (``EngineUnavailable`` if it cannot run); ``moto`` uses
    ``moto_url``; ``auto`` tries DynamoDB Local (fetching it once) and otherwise falls back to
    moto with one warning line on stderr, so the local stage starts anywhere.
    """
    if mode not in MODES:
        raise ValueError(f"unknown DynamoDB engine {mode!r}")
    if mode == "moto":
        return None, moto_url
    try:
        find_java()  # before fetching anything
        engine = Engine(install(), log=log)
        return engine, engine.start()
    except EngineUnavailable as exc:
        if mode == "local":
            raise
        print(
            f"warning: DynamoDB Local is unavailable ({exc}); DynamoDB is served by moto, which is slower "
            "as data grows and applies one write at a time (install Java 17 for AWS's own engine)",
            file=sys.stderr,
            flush=True,
        )
        return None, moto_url


def endpoint_environment(url: str) -> dict[str, str]:
    """botocore's per-service endpoint settings that send DynamoDB and its streams to ``url``."""
    return {"AWS_ENDPOINT_URL_DYNAMODB": url, "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": url}


# ---------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.dynamodb_local", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="fetch and check the engine into the cache (once)")
    serve = sub.add_parser("serve", help="run the engine in the foreground")
    serve.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    try:
        where = install()
        if args.command == "install":
            print(f"DynamoDB Local {ENGINE_VERSION} in {where} (jar SHA-256 checked)")
            return 0
        with Engine(where, port=args.port) as engine:
            print(f"DynamoDB Local {ENGINE_VERSION} on {engine.endpoint} (in memory; Ctrl-C stops it)", flush=True)
            try:
                while engine.process is not None and engine.process.poll() is None:
                    time.sleep(0.5)
            except KeyboardInterrupt:
                pass
        return 0
    except EngineUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
