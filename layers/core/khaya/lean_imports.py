"""Import Powertools' package indexes lazily, so a route loads only the Powertools modules it uses.

Some packages of Powertools for AWS Lambda are indexes: their ``__init__`` re-exports names
from submodules. ``aws_lambda_powertools/__init__.py`` imports Logger, Metrics and Tracer;
``event_handler/__init__.py`` every resolver (AppSync, which imports asyncio, Bedrock agents,
AppSync Events, VPC Lattice, Function URLs...); ``event_handler/openapi/__init__.py`` the
schema merger; ``utilities/data_classes/__init__.py`` some forty event classes. Importing one
module below them (``...event_handler.api_gateway``) runs every ``__init__`` above it, so a
route paid for all of that on every cold start.

``install()`` (called by ``khaya/__init__.py``, so it is in place before any module of the
layer imports Powertools) adds a meta path finder for exactly those index packages. When one
is imported it becomes the real package (its own ``__spec__``, ``__path__``, ``__file__``)
and runs what its ``__init__`` does besides binding names (the top package silences
Powertools' own logger unless ``POWERTOOLS_DEBUG`` is set, and registers its User-Agent
suffix on botocore sessions), but not its imports. Submodules load as usual, when something
imports them. A name asked of the package itself (``from aws_lambda_powertools.utilities.
data_classes import ALBEvent``) is looked up in the package's own ``__init__`` source
(``from .alb_event import ALBEvent``) and only that submodule is imported. Anything else (a
name the index assigns, a star import, a submodule that no longer has the name) runs the
rest of the real ``__init__`` in the package: the worst case is the upstream import cost and
upstream's own answer, never a missing name.

The same holds for ``phonenumbers`` (``OTHER_INDEXES``), whose ``__init__`` re-exports the
matcher and formatters the phone checks never use.

``tests/unit/platform/test_lean_imports.py`` checks the installed Powertools against this
(and every function's import against ``bench/budgets.py``); layers/core/requirements.txt pins
the minor version those tests ran with.
"""

from __future__ import annotations

import _thread
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType
    from typing import Any

# Only builtins at import: the authorizer imports the khaya package too, and never Powertools.

TOP = "aws_lambda_powertools"
POWERTOOLS_INDEXES = frozenset(
    {
        TOP,
        f"{TOP}.event_handler",
        f"{TOP}.event_handler.openapi",
        f"{TOP}.utilities.data_classes",
    }
)
# phonenumbers' __init__ re-exports its matcher, as-you-type formatter and short-number modules:
# the phone checks use only phonenumberutil (about 6 ms of CPU off a sign-in's cold start).
OTHER_INDEXES = frozenset({"phonenumbers"})
INDEX_PACKAGES = POWERTOOLS_INDEXES | OTHER_INDEXES


class Index:
    """What a package's ``__init__`` source does, statement by statement.

    ``exported``: ``{name: submodule}`` for each ``from .sub import name`` (or ``from
    <package>.sub import name``). ``defined``: the names it binds otherwise (its own imports,
    assignments, defs); ``None`` when that cannot be known (a star import). ``effects``: the
    statements that do something besides binding names (``inject_user_agent()``).
    """

    def __init__(self, source: str, package: str) -> None:
        import ast

        self.tree = ast.parse(source)
        self.exported: dict[str, str] = {}
        defined: set[str] | None = set()
        self.effects: list[ast.stmt] = []
        for node in self.tree.body:
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                module: str | None = f"{package}.{node.module}" if node.module else package
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith(package + "."):
                module = node.module
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                module = None  # its own imports (``from pathlib import Path``): names it binds
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if defined is not None:
                    defined.add(node.name)
                continue
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                if defined is not None:
                    defined |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and type(n.ctx) is ast.Store}
                continue
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # the docstring
            elif _main_guard(node):
                continue  # ``if __name__ == "__main__":`` never runs on an import
            else:
                self.effects.append(node)
                continue
            for alias in node.names:
                if alias.name == "*":
                    defined = None
                elif module is None:
                    if defined is not None:
                        defined.add(alias.asname or alias.name.split(".")[0])
                else:
                    self.exported[alias.asname or alias.name] = module
        self.defined = None if defined is None else frozenset(defined)


def _main_guard(node: ast.stmt) -> bool:
    import ast

    test = node.test if isinstance(node, ast.If) and not node.orelse else None
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


class _IndexPackage:
    """The module-level ``__getattr__`` of one lazily imported index package."""

    def __init__(self, module: ModuleType, real_loader: Any) -> None:
        self.module = module
        self.real_loader = real_loader
        self.index: Index | None = None
        self.ran_effects: list[ast.stmt] = []
        self.complete = False
        self.lock = _thread.RLock()

    def _index(self) -> Index:
        if self.index is None:
            source = self.real_loader.get_source(self.module.__name__)
            if not source:  # shipped without its source: nothing to read the index from
                raise ImportError(f"no source for {self.module.__name__}")
            self.index = Index(source, self.module.__name__)
        return self.index

    def run_effects(self) -> None:
        """What the ``__init__`` does besides binding names, as it does it, once."""
        import ast
        import builtins

        for node in self._index().effects:
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            scope = {name: self(name) for name in names if not hasattr(builtins, name)}
            code = compile(ast.Module(body=[node], type_ignores=[]), self.module.__file__ or "<index>", "exec")
            exec(code, scope)  # noqa: S102 - a statement of the package's own __init__
            self.ran_effects.append(node)

    def _submodule(self, name: str) -> ModuleType | None:
        """``package.name`` when it is a submodule (``from package import submodule``)."""
        from importlib import import_module

        qualified = f"{self.module.__name__}.{name}"
        try:
            return import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name == qualified:
                return None
            raise

    def run_init(self) -> None:
        """The rest of the package's real ``__init__``, in the package: every name it binds."""
        with self.lock:
            if self.complete:
                return
            self.complete = True
            if not self.ran_effects:
                self.real_loader.exec_module(self.module)
                return
            import ast

            rest = [node for node in self._index().tree.body if node not in self.ran_effects]
            code = compile(ast.Module(body=rest, type_ignores=[]), self.module.__file__ or "<index>", "exec")
            exec(code, self.module.__dict__)  # noqa: S102 - the package's own __init__, its effects already run

    def __call__(self, name: str) -> Any:
        if not self.complete:
            try:
                index = self._index()
            except (ImportError, OSError, SyntaxError):
                index = None
                self.run_init()
            where = index.exported.get(name) if index else None
            if where is not None:
                try:
                    from importlib import import_module

                    value = getattr(import_module(where), name)
                except (ImportError, AttributeError):
                    pass  # no longer there upstream: the real __init__ below gives upstream's answer
                else:
                    setattr(self.module, name, value)
                    return value
            elif index and not name.startswith("__"):
                submodule = self._submodule(name)
                if submodule is not None:
                    return submodule
            if index is None or where is not None or index.defined is None or name in index.defined:
                self.run_init()
        if name in self.module.__dict__:
            return self.module.__dict__[name]
        raise AttributeError(f"module {self.module.__name__!r} has no attribute {name!r}")


class _IndexLoader:
    """The package's own loader, except that ``exec_module`` does not run its ``__init__``."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:  # get_filename, get_code, get_resource_reader...
        return getattr(self.real, name)

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return None  # the default module object, as for the real package

    def exec_module(self, module: ModuleType) -> None:
        index = _IndexPackage(module, self.real)
        module.__getattr__ = index  # type: ignore[method-assign]
        module.__dict__["__khaya_lazy_index__"] = index
        try:
            index.run_effects()
        except Exception:  # any surprise: behave exactly as upstream
            index.run_init()


class IndexFinder:
    """Finds the index packages with the other finders, then loads them with ``_IndexLoader``."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in INDEX_PACKAGES:
            return None
        for finder in sys.meta_path:
            if isinstance(finder, IndexFinder) or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is None:
                continue
            if spec.loader is None or not spec.submodule_search_locations or not hasattr(spec.loader, "get_source"):
                return spec  # not a plain package on disk: import it as it is
            spec.loader = _IndexLoader(spec.loader)  # type: ignore[assignment]
            return spec
        return None


def install() -> None:
    """Idempotent. Packages already imported stay as they are."""
    if not any(isinstance(f, IndexFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, IndexFinder())


def is_lazy(module: ModuleType) -> bool:
    """Whether ``module`` was imported as a lazy index and its real ``__init__`` has not run."""
    index = module.__dict__.get("__khaya_lazy_index__")
    return isinstance(index, _IndexPackage) and not index.complete
