"""The environment Lambda gives one function: exactly the variables its template entry sets.

On AWS each function runs in its own process whose environment is its ``Environment``
(plus ``Globals``) and the variables the Lambda runtime adds; another function's variables
are never there. Locally the same holds in two ways:

* the gateway runs every function in worker processes of its own (``local.runtime``),
  started with ``lambda_environment(fn, ...)``: nothing else of ours is in them;
* the in-process invokers the tests use (``local.loader.load_handler``) run each
  invocation inside ``isolated(fn)``: for its duration ``os.environ`` holds, of all the
  variables the template sets for any function, only this function's ones, and the
  settings cache is rebuilt from that. Everything no template entry sets (AWS credentials
  and endpoints, optional settings a test turns, such as ``PASSWORD_SCRYPT_LOG2_N``) stays
  visible. When the function changes, the cached secret values are dropped too, so a
  function never reads a secret through another function's cache (its own call is made,
  and so recorded and checked against its policy).

Either way a function that reads a variable its template entry does not set fails locally,
as it would on Lambda.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache

from local.cfn import FunctionDef, functions, load_template
from local.intrinsics import Resolver


def template_variables(fn: FunctionDef, resolver: Resolver, *, warn: bool = True) -> dict[str, str]:
    """``Globals`` + the function's own ``Environment.Variables``, resolved for the local stage.

    A value that cannot be resolved locally is left out (reported on stderr), as the
    function would then fail on reading it, which is what a test should see.
    """
    out: dict[str, str] = {}
    for key, raw in fn.environment.items():
        try:
            out[key] = str(resolver.resolve(raw))
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            if warn:
                print(f"warning: {fn.logical_id} {key}: cannot resolve locally ({exc}); not set", file=sys.stderr)
    return out


def template_keys(fns: list[FunctionDef]) -> frozenset[str]:
    """Every variable name the template sets for at least one function."""
    return frozenset(key for fn in fns for key in fn.environment)


def runtime_variables(fn: FunctionDef, region: str) -> dict[str, str]:
    """What the Lambda runtime itself puts in every function's environment (credentials and
    endpoints aside): its name, memory, handler, region, time zone."""
    props = fn.properties
    memory = props.get("MemorySize") if isinstance(props.get("MemorySize"), int) else 256
    return {
        "AWS_LAMBDA_FUNCTION_NAME": f"khaya-local-{fn.logical_id}",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/khaya-local-{fn.logical_id}",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "_HANDLER": fn.handler,
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
    }


def lambda_environment(
    fn: FunctionDef, resolver: Resolver, *, plumbing: Mapping[str, str], region: str
) -> dict[str, str]:
    """The whole environment of one local function process: the runtime's variables, the
    local plumbing (fake credentials, the local endpoint, local-stage settings), then the
    function's template variables, which win."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        **runtime_variables(fn, region),
        **plumbing,
        **template_variables(fn, resolver),
    }


# ---------------------------------------------------------------------- in-process isolation
@lru_cache(maxsize=1)
def _main_template() -> tuple[Resolver, frozenset[str]]:
    doc = load_template()
    return Resolver(doc), template_keys(functions(doc))


class _Scope:
    """One environment at a time in this process: invocations of one function may overlap
    (racing threads of a test), an invocation of another function waits for them to end."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.active: str | None = None
        self.depth = 0
        self.saved: dict[str, str] = {}
        self.last: str | None = None


_scope = _Scope()


def scoped_environment(fn: FunctionDef, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` (the process's environment outside any invocation) as ``fn`` may see it.

    Variables that some template entry sets are kept only if ``fn``'s entry sets them; those
    it sets take the value ``base`` gives them (a test's override) or else the template's."""
    resolver, keys = _main_template()
    own = {k: v for k, v in template_variables(fn, resolver, warn=False).items() if k in fn.environment}
    env = {k: v for k, v in base.items() if k not in keys}
    env.update({k: base.get(k, v) for k, v in own.items()})
    return env


def _replace_environ(env: Mapping[str, str]) -> None:
    for key in [k for k in os.environ if k not in env]:
        del os.environ[key]
    for key, value in env.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _refresh_caches(switched: bool) -> None:
    """Settings are rebuilt for every invocation (the environment changed under them); the
    secret cache is a container's own, so it is dropped when another function runs."""
    from khaya.config import reset_settings

    reset_settings()
    if switched:
        from khaya.secrets import reset_secrets

        reset_secrets()


@contextmanager
def isolated(fn: FunctionDef) -> Iterator[None]:
    """Run the body as an invocation of ``fn``: its environment only (see the module doc)."""
    s = _scope
    with s.cond:
        while s.active not in (None, fn.logical_id):
            s.cond.wait()
        if s.depth == 0:
            s.saved = dict(os.environ)
            _replace_environ(scoped_environment(fn, s.saved))
            _refresh_caches(switched=s.last != fn.logical_id)
            s.last = fn.logical_id
        s.active = fn.logical_id
        s.depth += 1
    try:
        yield
    finally:
        with s.cond:
            s.depth -= 1
            if s.depth == 0:
                _replace_environ(s.saved)
                s.active = None
                _refresh_caches(switched=False)  # the settings of the process's own environment
                s.cond.notify_all()
