"""``make mutate``: mutation testing of the safety-critical modules, each on the tests that target it.

For every module of ``bench/mutation/modules.toml`` (one entry each: its source under
``layers/core`` and its tests), mutmut 3 changes the module one small step at a time (a
condition dropped, a comparison flipped, a string changed...) and runs the tests that reach the
changed function; a mutant the tests do not notice *survives*. Each survivor must be either
killed by a new test or listed in ``bench/mutation/equivalent.toml`` with why no test can tell
it from the real code. The report, ``bench/mutation/report.md``, has per module the mutants,
killed, survived, equivalent (with the reasons), the killed share and the time taken, and the
surviving mutants' diffs.

How it runs mutmut in this repository's layout: mutmut copies the project into ``mutants/``
and names a mutant after its file's path, so the package must sit at the top of the copied
tree as ``khaya/`` (the tests import ``khaya.identity.otp``, not ``layers.core.khaya...``).
Each module gets a staging directory, ``.mutmut/<module>/`` (not in git), holding links to
``layers/core/khaya``, ``tests``, ``functions``, ``local``, ``events`` and ``template.yaml`` and a
``pyproject.toml`` written here (mutmut's settings; pytest's, with ``pythonpath = ["."]`` so
only the copy's ``khaya`` is importable). mutmut runs there with ``PYTHONPATH`` unset: the
conftest plugins, the namespace package ``functions`` and the in-process handlers all load
from the copy. No xdist: mutmut runs its own workers (``--max-children``, 2 by default). The
tests that race on DynamoDB Local share one engine started here (each test session keeps its
tables apart by its own access key, ``tests/support/dynamodb_local.py``).

Usage::

    python -m bench.mutation.run                      # every module; writes the report
    python -m bench.mutation.run --only db.cursor     # some modules (report to .mutmut/)
    python -m bench.mutation.run --changed origin/main  # quick: what a change touched (below)

Quick mode (``--changed REF``): only the modules whose source or tests differ from ``REF``;
of a module whose tests are unchanged, only the mutants of the functions that changed. It
passes when no mutant it ran survives unaccounted for. Its report goes to ``.mutmut/``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LAYER = ROOT / "layers" / "core"
STAGE = ROOT / ".mutmut"
CONFIG = HERE / "modules.toml"
EQUIVALENT = HERE / "equivalent.toml"
REPORT = HERE / "report.md"
# What the tests need beside the package, linked into each staging directory.
PROJECT = ("tests", "functions", "local", "events", "template.yaml")
# Caught: a mutant that makes a test fail or hang, or that mypy --strict rejects (make test runs
# it on the layer, so such a change can never ship; mutmut type-checks every mutant first).
KILLED = {"killed", "timeout", "caught by type check"}
# Not tested yet: a run stopped before it reached them (resume with --keep).
PENDING = {"not checked", "check was interrupted by user"}


# ---------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class Module:
    name: str  # "identity.otp"
    source: str  # "khaya/identity/otp.py", relative to layers/core
    tests: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return self.source.removesuffix(".py").replace("/", ".")


@dataclass(frozen=True)
class Settings:
    do_not_mutate: tuple[str, ...]
    min_killed_percent: float
    pytest_args: tuple[str, ...]


def load_config(path: Path = CONFIG) -> tuple[Settings, list[Module]]:
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    s = doc.get("settings", {})
    settings = Settings(
        tuple(s.get("do_not_mutate", [])), float(s.get("min_killed_percent", 85)), tuple(s.get("pytest_args", []))
    )
    modules = [Module(name, m["source"], tuple(m["tests"])) for name, m in doc["modules"].items()]
    return settings, modules


@dataclass(frozen=True)
class Equivalent:
    module: str
    function: str
    was: str
    now: str
    reason: str


def load_equivalents(path: Path = EQUIVALENT) -> list[Equivalent]:
    doc = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return [Equivalent(e["module"], e["function"], e["was"], e["now"], e["reason"]) for e in doc.get("mutant", [])]


# ---------------------------------------------------------------------- staging and running
def _toml(value: Any) -> str:
    """A TOML value for the few shapes written here (JSON's strings and lists are TOML's too)."""
    return json.dumps(value)


def stage(module: Module, settings: Settings, *, fresh: bool) -> Path:
    """The staging directory of ``module`` (see the module doc), emptied first when ``fresh``."""
    where = STAGE / module.name
    if fresh and where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True, exist_ok=True)
    links = {"khaya": LAYER / "khaya", **{name: ROOT / name for name in PROJECT}}
    for name, target in links.items():
        link = where / name
        if not link.is_symlink():
            link.symlink_to(target)
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    pytest_ini, mypy = tool["pytest"]["ini_options"], tool["mypy"]
    type_check = [sys.executable, "-m", "mypy", "--output", "json", "--follow-imports", "silent"]
    lines = [
        "# Written by bench/mutation/run.py for one module; not in git.",
        "[tool.mutmut]",
        f"source_paths = {_toml(['khaya'])}",
        f"only_mutate = {_toml([module.source])}",
        f"also_copy = {_toml(list(PROJECT))}",
        f"pytest_add_cli_args = {_toml(['-p', 'no:cacheprovider', *settings.pytest_args])}",
        f"pytest_add_cli_args_test_selection = {_toml(list(module.tests))}",
        f"do_not_mutate_patterns = {_toml(list(settings.do_not_mutate))}",
        f"type_check_command = {_toml([*type_check, '--cache-dir', '../../.mypy_cache', module.source])}",
        "use_git_change_detection = false",
        # mutmut stops a mutant's tests after (their clean time + the constant) x the multiplier in
        # wall time (twice that in CPU time); tests/support/mutation.py stops one hung test sooner.
        f"timeout_multiplier = {_toml(TIMEOUT_MULTIPLIER)}",
        f"timeout_constant = {_toml(TIMEOUT_CONSTANT)}",
        "",
        "[tool.mypy]",  # the layer's own settings (mutmut runs mypy in the copy)
        *(f"{key} = {_toml(value)}" for key, value in mypy.items() if key not in ("mypy_path", "packages")),
        "",
        "[tool.pytest.ini_options]",
        *(f"{key} = {_toml(value)}" for key, value in pytest_ini.items() if key != "pythonpath"),
        f"pythonpath = {_toml(['.'])}",
        "",
    ]
    (where / "pyproject.toml").write_text("\n".join(lines), encoding="utf-8")
    return where


# mutmut's defaults (15 and 1 s) let one hung mutant cost minutes, yet cut short a mutant whose
# tests take half a second on a quiet machine when the machine is busy: a session's start-up
# (collection, fixtures) is in the wall time too, hence the larger constant.
TIMEOUT_MULTIPLIER = 4.0
TIMEOUT_CONSTANT = 10.0

MEMORY_LIMIT = 6 * 2**30  # per process: a mutant that allocates without end fails its test, not the machine


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_mutmut(where: Path, names: list[str], max_children: int, env: dict[str, str]) -> float:
    """``mutmut run`` in ``where`` (its output to ``mutmut.log`` there) → seconds taken."""
    mutmut = Path(sys.executable).with_name("mutmut")
    started = time.monotonic()
    with open(where / "mutmut.log", "ab") as log:
        done = subprocess.run(
            [str(mutmut), "run", "--max-children", str(max_children), *names],
            cwd=where,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
            preexec_fn=_limit_memory,
        )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        tail = (where / "mutmut.log").read_text(errors="replace")[-3000:]
        raise SystemExit(f"mutmut failed in {where} (exit {done.returncode}):\n{tail}")
    return seconds


# ---------------------------------------------------------------------- results
@dataclass
class Mutant:
    name: str  # khaya.identity.otp.x_verify_code__mutmut_3
    status: str
    function: str
    was: str = ""
    now: str = ""
    reason: str | None = None  # why it is equivalent, when listed


@dataclass
class Result:
    module: Module
    seconds: float
    mutants: list[Mutant] = field(default_factory=list)

    def count(self, *statuses: str) -> int:
        return sum(1 for m in self.mutants if m.status in statuses)

    @property
    def killed(self) -> int:
        return self.count(*KILLED)

    @property
    def survivors(self) -> list[Mutant]:
        return [m for m in self.mutants if m.status not in KILLED | PENDING]

    @property
    def pending(self) -> int:
        return self.count(*PENDING)

    @property
    def equivalent(self) -> list[Mutant]:
        return [m for m in self.survivors if m.reason]

    @property
    def unaccounted(self) -> list[Mutant]:
        return [m for m in self.survivors if not m.reason]

    @property
    def percent(self) -> float:
        """Of the mutants tested so far."""
        tested = len(self.mutants) - self.pending
        return 100.0 * self.killed / tested if tested else 100.0


def function_of(mutant_name: str) -> str:
    """``khaya.market.jobs.x_cancel_job__mutmut_4`` → ``cancel_job``; a method → ``Class.method``."""
    key = mutant_name.rpartition(".")[2].partition("__mutmut_")[0]
    if key.startswith("x_"):
        return key[2:]
    return ".".join(part for part in key[1:].split("ǁ") if part)  # xǁClassǁmethod


def read_results(where: Path, module: Module, names: list[str] | None) -> list[Mutant]:
    """The mutants of ``module`` (those matching ``names`` when given) with their status, and the
    changed lines of every one that was not caught."""
    from fnmatch import fnmatch

    from mutmut.stats import status_by_exit_code

    meta = json.loads((where / "mutants" / f"{module.source}.meta").read_text(encoding="utf-8"))
    out = []
    for name, code in meta["exit_code_by_key"].items():
        if names and not any(fnmatch(name, pattern) for pattern in names):
            continue
        out.append(Mutant(name, status_by_exit_code[code], function_of(name)))
    survivors = [m for m in out if m.status not in KILLED | PENDING]
    if survivors:
        diffs = _diffs(where, [m.name for m in survivors])
        for m in survivors:
            m.was, m.now = changed_lines(diffs[m.name])
    return out


_DIFF_SCRIPT = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
print(json.dumps({name: get_diff_for_mutant(name) for name in json.load(sys.stdin)}))
"""


def _diffs(where: Path, names: list[str]) -> dict[str, str]:
    """mutmut's own diff of each mutant (run in the staging directory, where its config is)."""
    done = subprocess.run(
        [sys.executable, "-c", _DIFF_SCRIPT],
        cwd=where,
        input=json.dumps(names),
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    return dict(json.loads(done.stdout))


def changed_lines(diff: str) -> tuple[str, str]:
    """The lines a mutant removed and added, each side stripped and joined by newlines."""
    body = [line for line in diff.splitlines()[2:] if not line.startswith("@@")]
    was = [line[1:].strip() for line in body if line.startswith("-")]
    now = [line[1:].strip() for line in body if line.startswith("+")]
    return "\n".join(was), "\n".join(now)


def account(result: Result, equivalents: list[Equivalent]) -> list[Equivalent]:
    """Give each survivor its equivalence reason, if listed → the listed entries nothing matched."""
    by_key = {(e.module, e.function, e.was, e.now): e for e in equivalents if e.module == result.module.name}
    used = set()
    for m in result.survivors:
        found = by_key.get((result.module.name, m.function, m.was, m.now))
        if found is not None:
            m.reason = found.reason
            used.add(id(found))
    return [e for e in by_key.values() if id(e) not in used]


def _seconds_spent(where: Path, module: Module) -> float:
    """How long the mutants of the last run in ``where`` took to test (mutmut keeps each one's time)."""
    meta = where / "mutants" / f"{module.source}.meta"
    if (where / "seconds").exists():  # the wall time of its runs
        return float((where / "seconds").read_text(encoding="utf-8"))
    durations = json.loads(meta.read_text(encoding="utf-8")).get("durations_by_key", {})
    return float(sum(durations.values())) / 2  # two mutants at a time


def _survivors(where: Path, module: Module) -> list[str]:
    """The mutants of the last run in ``where`` that were not caught, and those that timed out (on a
    busy machine a timeout may be the machine, not the mutant: testing it again tells)."""
    from mutmut.stats import status_by_exit_code

    meta = where / "mutants" / f"{module.source}.meta"
    if not meta.exists():
        return []
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    return [name for name, code in codes.items() if status_by_exit_code[code] not in (KILLED - {"timeout"}) | PENDING]


# ---------------------------------------------------------------------- quick mode
def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def _functions(source: str) -> dict[str, str]:
    """Each top-level function and method of ``source`` → a fingerprint of its code."""
    out: dict[str, str] = {}
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return out

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out[prefix + node.name] = ast.dump(node, annotate_fields=False)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return out


def changed_scope(modules: list[Module], base: str) -> list[tuple[Module, list[str] | None]]:
    """The modules a change since ``base`` touched → the mutant names to run (``None``: all)."""
    changed = set(_git("diff", "--name-only", base, "--").split()) | set(
        _git("ls-files", "--others", "--exclude-standard").split()
    )
    picked: list[tuple[Module, list[str] | None]] = []
    for module in modules:
        source_path = f"layers/core/{module.source}"
        tests_changed = any(
            path == test.split("::")[0] or path.startswith(test.split("::")[0].rstrip("/") + "/")
            for path in changed
            for test in module.tests
        )
        if tests_changed:
            picked.append((module, None))
        elif source_path in changed:
            try:
                before = _functions(_git("show", f"{base}:{source_path}"))
            except subprocess.CalledProcessError:
                before = {}
            now = _functions((ROOT / source_path).read_text(encoding="utf-8"))
            names = [n for n, code in now.items() if before.get(n) != code]
            if names:
                picked.append((module, [f"{module.dotted}.{_mangled(n)}__mutmut_*" for n in names]))
    return picked


def _mangled(function: str) -> str:
    cls, _, name = function.rpartition(".")
    return f"xǁ{cls}ǁ{name}" if cls else f"x_{name}"


# ---------------------------------------------------------------------- report
def _block(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines()) or "    (nothing)"


def render(results: list[Result], settings: Settings, *, total_seconds: float, note: str) -> str:
    commit = _git("rev-parse", "--short", "HEAD").strip()
    lines = [
        "# Mutation testing report",
        "",
        f"`make mutate` (mutmut 3, `bench/mutation/run.py`) at {commit}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {note}",
        f"Whole run: {total_seconds / 60:.1f} min. A module passes with at least "
        f"{settings.min_killed_percent:.0f} % of its mutants killed and every survivor listed as equivalent "
        "in `bench/mutation/equivalent.toml` with its reason.",
        "",
        "Killed: a test failed or hung (timeout), or mypy --strict rejected the mutant (the layer is type-checked "
        "by `make test`, so such a change cannot ship): in brackets, how many by mypy and how many by timeout "
        "(mutmut's time limits, or one test running far past its clean duration: tests/support/mutation.py; on a "
        "loaded machine a timeout is worth a second run with `--keep --survivors`).",
        "",
        "Not run: mutants a stopped run had not tested yet (resume with `--keep`); the killed share is of "
        "those tested, and a module with any not run has not passed.",
        "",
        "| module | mutants | not run | killed (by mypy, timeout) | survived | equivalent | unaccounted | killed % "
        "| duration |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.module.name} | {len(r.mutants)} | {r.pending} "
            f"| {r.killed} ({r.count('caught by type check')}, {r.count('timeout')}) "
            f"| {len(r.survivors)} | {len(r.equivalent)} | {len(r.unaccounted)} | {r.percent:.1f} "
            f"| {r.seconds / 60:.1f} min |"
        )
    for r in results:
        lines += ["", f"## {r.module.name} (`layers/core/{r.module.source}`)", ""]
        lines.append("Tests: " + ", ".join(f"`{t}`" for t in r.module.tests))
        if not r.survivors:
            lines += ["", "Every mutant killed."]
        for m in sorted(r.survivors, key=lambda m: (m.reason is not None, m.name)):
            lines += ["", f"### `{m.name}` ({m.status})"]
            lines += ["", "was:", "", _block(m.was), "", "mutant:", "", _block(m.now), ""]
            lines.append(
                f"Equivalent: {m.reason}" if m.reason else "**Not accounted for**: kill it with a test or list it."
            )
    return "\n".join(lines) + "\n"


def stub(mutant: Mutant, module: str) -> str:
    """An ``equivalent.toml`` entry to fill in, for a survivor nothing accounts for."""
    return "\n".join(
        [
            "[[mutant]]",
            f"module = {_toml(module)}",
            f"function = {_toml(mutant.function)}",
            f"was = {_toml(mutant.was)}",
            f"now = {_toml(mutant.now)}",
            'reason = ""',
            "",
        ]
    )


# ---------------------------------------------------------------------- main
def _engine(env: dict[str, str]) -> Any:
    """One DynamoDB Local for every test session of the run (see tests/support/dynamodb_local.py)."""
    from local.dynamodb_local import Engine, install
    from tests.support.dynamodb_local import SHARED_ENGINE_VAR

    STAGE.mkdir(exist_ok=True)
    engine = Engine(install(), log=STAGE / "dynamodb-local.log", shared=False)
    env[SHARED_ENGINE_VAR] = engine.start()
    return engine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mutation.run", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="MODULE", help="these modules (names in modules.toml)")
    parser.add_argument("--changed", metavar="REF", help="quick mode: what changed since REF")
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--keep", action="store_true", help="reuse earlier results where mutmut can (faster)")
    parser.add_argument(
        "--survivors",
        action="store_true",
        help="with --keep: test again only the last survivors and timeouts (after new tests)",
    )
    parser.add_argument(
        "--mutants", nargs="+", metavar="NAME", help="with --keep and one --only module: test again these (globs)"
    )
    parser.add_argument(
        "--report-only", action="store_true", help="run nothing: the report from the results already in .mutmut/"
    )
    args = parser.parse_args(argv)

    settings, modules = load_config()
    equivalents = load_equivalents()
    if args.only:
        unknown = set(args.only) - {m.name for m in modules}
        if unknown:
            parser.error(f"not in {CONFIG.name}: {', '.join(sorted(unknown))}")
        modules = [m for m in modules if m.name in args.only]
    scope: list[tuple[Module, list[str] | None]] = (
        changed_scope(modules, args.changed) if args.changed else [(m, None) for m in modules]
    )
    if not scope:
        print("mutate: no module under mutation testing changed")
        return 0
    full = not args.only and not args.changed

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    engine = _engine(env) if not args.report_only else None
    results: list[Result] = []
    not_run: list[str] = []
    started = time.monotonic()
    try:
        for module, names in scope:
            where = stage(module, settings, fresh=not (args.keep or args.report_only))
            retest = _survivors(where, module) if args.survivors and args.keep else []
            if args.mutants and args.keep:
                retest = list(args.mutants)
            what = f"{len(names)} changed function(s)" if names else f"{len(retest)} survivors" if retest else "all"
            if args.report_only:
                if not (where / "mutants" / f"{module.source}.meta").exists():
                    print(f"mutate: {module.name}: no results yet (run it first)")
                    not_run.append(module.name)
                    continue
                seconds = _seconds_spent(where, module)
            else:
                print(f"mutate: {module.name} ({what}) on {len(module.tests)} test file(s)...", flush=True)
                seconds = run_mutmut(where, names or retest, args.max_children, env)
                spent = where / "seconds"  # wall time of every run since the fresh one
                if spent.exists():
                    seconds += float(spent.read_text(encoding="utf-8"))
                spent.write_text(f"{seconds:.0f}\n", encoding="utf-8")
            result = Result(module, seconds, read_results(where, module, names))
            stale = account(result, equivalents)
            results.append(result)
            print(
                f"mutate: {module.name}: {len(result.mutants)} mutants, {result.killed} killed "
                f"({result.percent:.1f} %), {len(result.equivalent)} equivalent, "
                f"{len(result.unaccounted)} unaccounted, {seconds / 60:.1f} min",
                flush=True,
            )
            if stale and not names:
                for e in stale:
                    print(
                        f"mutate: {module.name}: equivalent.toml lists a mutant that no longer survives: "
                        f"{e.function}: {e.now!r}"
                    )
    finally:
        if engine is not None:
            engine.stop()
    total = time.monotonic() - started
    if args.report_only:  # the time the results took when they were made
        total = sum(r.seconds for r in results)

    note = "every module" if full else ("quick mode since " + args.changed if args.changed else "some modules")
    if not_run:
        note += "; not run yet: " + ", ".join(not_run)
    text = render(results, settings, total_seconds=total, note=note)
    out = REPORT if full else STAGE / "report.md"
    out.write_text(text, encoding="utf-8")
    print(f"mutate: report in {out.relative_to(ROOT)} ({total / 60:.1f} min)")

    failed = False
    for r in results:
        for m in r.unaccounted:
            failed = True
            print(f"\nmutate: {r.module.name}: survivor not accounted for ({m.status}) — kill it or list it:")
            print(stub(m, r.module.name))
        if r.pending:
            failed = True
            print(f"mutate: {r.module.name}: {r.pending} mutants not run yet (resume with --keep)")
        partial = args.changed and any(n for mod, n in scope if mod == r.module and n)
        if not partial and r.percent < settings.min_killed_percent:
            failed = True
            print(f"mutate: {r.module.name}: {r.percent:.1f} % killed, below {settings.min_killed_percent:.0f} %")
    return 1 if failed or not_run else 0


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT)]
    raise SystemExit(main())
