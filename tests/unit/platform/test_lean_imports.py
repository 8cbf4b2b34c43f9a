"""Routes load only the Powertools modules they use, and the lazy package indexes degrade safely.

``khaya.lean_imports`` keeps Powertools' package indexes (``aws_lambda_powertools``,
``event_handler``, ``event_handler.openapi``, ``utilities.data_classes``) from running their
``__init__``. What a client notices is a faster cold start; what these tests hold is the
contract behind it: every function's import stays free of the modules that only an index
would load (``bench/budgets.py`` names them), every name Powertools exports still resolves,
and an index that changes upstream falls back to its real ``__init__`` instead of failing.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bench.budgets import broken_import_rules, forbidden_modules
from khaya import lean_imports
from local.cfn import ROOT, functions, load_template

FUNCTIONS = [fn for fn in functions() if fn.routes or fn.logical_id == "AuthorizeFunction"]


def _fresh_python(code: str, *path: str | Path) -> dict:
    """Run ``code`` in a new interpreter whose sys.path starts with ``path``; it prints JSON."""
    env_path = [str(p) for p in path]
    prelude = f"import sys; sys.path[:0] = {env_path!r}\n"
    out = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("fn", FUNCTIONS, ids=[f.logical_id for f in FUNCTIONS])
def test_a_function_import_loads_no_unused_resolver_or_index(fn):
    # Given a function as Lambda imports it: its folder, then the layer, in a fresh interpreter
    module = fn.handler.rsplit(".", 1)[0]
    loaded = _fresh_python(
        f"""
        import importlib, json, sys
        importlib.import_module({module!r})
        print(json.dumps(sorted(sys.modules)))
        """,
        ROOT / fn.code_uri,
        ROOT / "layers" / "core",
    )
    # Then nothing an index of Powertools would have pulled in is there (asyncio, AppSync,
    # Metrics, Tracer, forty event classes), nor, for the constant routes and the authorizer,
    # any pydantic or Powertools at all
    assert broken_import_rules(fn.logical_id, loaded) == []


def test_the_rules_would_catch_the_upstream_import():
    # Given the same route with Powertools imported the ordinary way first (every __init__ runs)
    loaded = _fresh_python(
        """
        import json, sys
        import aws_lambda_powertools.event_handler
        import get_job
        print(json.dumps(sorted(sys.modules)))
        """,
        ROOT / "functions" / "jobs",
        ROOT / "layers" / "core",
    )
    # Then the import rules see it: the check above can fail
    assert "asyncio" in broken_import_rules("GetJobFunction", loaded)
    assert forbidden_modules("GetOpenapiFunction") > forbidden_modules("GetJobFunction")


def test_every_name_powertools_exports_still_resolves_and_only_what_is_asked_for_loads():
    result = _fresh_python(
        """
        import json, sys
        import khaya  # puts the lazy indexes in place
        import aws_lambda_powertools as top
        from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
        from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
        from khaya.lean_imports import is_lazy
        before = {"appsync": "aws_lambda_powertools.event_handler.appsync" in sys.modules,
                  "metrics": "aws_lambda_powertools.metrics" in sys.modules, "lazy": is_lazy(top)}
        from aws_lambda_powertools.event_handler import AppSyncResolver  # asked for: loaded then
        from aws_lambda_powertools import Logger, Metrics
        import logging
        print(json.dumps({**before,
            "appsync_after": "aws_lambda_powertools.event_handler.appsync" in sys.modules,
            "resolver": APIGatewayHttpResolver.__name__, "response": Response.__name__,
            "event": APIGatewayProxyEventV2.__name__, "appsync_cls": AppSyncResolver.__name__,
            "logger": Logger.__module__, "metrics_cls": Metrics.__name__,
            "version": top.__version__, "lazy_after_version": is_lazy(top),
            "silenced": [type(h).__name__ for h in logging.getLogger("aws_lambda_powertools").handlers]}))
        """,
        ROOT / "layers" / "core",
    )
    # Then the resolver came without AppSync or Metrics, until they were asked for by name
    assert result["appsync"] is False and result["metrics"] is False and result["lazy"] is True
    assert result["appsync_after"] is True
    assert (result["resolver"], result["response"], result["event"]) == (
        "APIGatewayHttpResolver",
        "Response",
        "APIGatewayProxyEventV2",
    )
    assert (result["appsync_cls"], result["metrics_cls"]) == ("AppSyncResolver", "Metrics")
    assert result["logger"] == "aws_lambda_powertools.logging.logger"
    # And a name the index defines by assignment runs the real __init__: it is there, as upstream
    assert result["version"] and result["lazy_after_version"] is False
    # And Powertools' own package logger is still silenced, as its __init__ does
    assert result["silenced"] == ["NullHandler"]


@pytest.fixture
def fake_index(tmp_path: Path) -> Path:
    """A package shaped like a Powertools index: __init__ re-exports from two submodules."""
    pkg = tmp_path / "fakeindex"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from .cheap import Cheap\nfrom .heavy import Heavy\nfrom .moved import Moved\nVERSION = '1'\n"
    )
    (pkg / "cheap.py").write_text("class Cheap: ...\n")
    (pkg / "heavy.py").write_text("import json\nLOADED = True\nclass Heavy: ...\n")
    # upstream moved ``Moved`` elsewhere, and the index knows: the map from the source is stale
    (pkg / "moved.py").write_text("from .elsewhere import Moved\n")
    (pkg / "elsewhere.py").write_text("class Moved: ...\n")
    return tmp_path


def _lazy_fake(code: str, root: Path) -> dict:
    return _fresh_python(
        f"""
        import json, sys
        from khaya import lean_imports
        lean_imports.INDEX_PACKAGES = lean_imports.INDEX_PACKAGES | {{"fakeindex"}}
        lean_imports.install()
        {textwrap.indent(textwrap.dedent(code), "        ").strip()}
        """,
        root,
        ROOT / "layers" / "core",
    )


def test_an_index_loads_only_the_submodule_of_the_name_asked_for(fake_index):
    result = _lazy_fake(
        """
        from fakeindex import Cheap
        print(json.dumps({"cheap": Cheap.__module__, "heavy": "fakeindex.heavy" in sys.modules}))
        """,
        fake_index,
    )
    assert result == {"cheap": "fakeindex.cheap", "heavy": False}


def test_a_name_the_lazy_lookup_cannot_find_gets_the_real_inits_answer(fake_index):
    # Given an index that re-exports a name its submodule no longer defines (a broken upgrade)
    (fake_index / "fakeindex" / "moved.py").write_text("OTHER = 1\n")
    # When that name is asked for
    result = _lazy_fake(
        """
        import fakeindex
        try:
            fakeindex.Moved
            outcome = "resolved"
        except ImportError as exc:
            outcome = f"ImportError: {exc}"
        print(json.dumps({"outcome": outcome, "lazy": lean_imports.is_lazy(fakeindex)}))
        """,
        fake_index,
    )
    # Then the real __init__ ran and answered as upstream does: the import error it raises
    assert result["outcome"].startswith("ImportError") and "Moved" in result["outcome"]
    assert result["lazy"] is False


def test_a_name_the_index_does_not_map_runs_the_real_init(fake_index):
    # Given an index whose source builds a name the lazy map cannot see (a star import)
    (fake_index / "fakeindex" / "__init__.py").write_text("from .cheap import *\nfrom .heavy import Heavy\n")
    result = _lazy_fake(
        """
        import fakeindex
        print(json.dumps({"cheap": fakeindex.Cheap.__name__, "heavy": "fakeindex.heavy" in sys.modules}))
        """,
        fake_index,
    )
    # Then asking for it runs the real __init__: the name is there (and so is everything else)
    assert result == {"cheap": "Cheap", "heavy": True}


def test_an_unknown_name_is_an_attribute_error_without_loading_anything(fake_index):
    result = _lazy_fake(
        """
        import fakeindex
        print(json.dumps({"has": hasattr(fakeindex, "Nope"), "heavy": "fakeindex.heavy" in sys.modules,
                          "sub": fakeindex.cheap.__name__}))
        """,
        fake_index,
    )
    assert result == {"has": False, "heavy": False, "sub": "fakeindex.cheap"}


def _top_level_effects(init: Path) -> list[str]:
    """The statements of an __init__ other than imports, docstrings and plain assignments."""
    effects = []
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        effects.append(ast.unparse(node))
    return effects


def test_powertools_indexes_still_do_only_what_the_lazy_loader_reproduces():
    # Given the installed Powertools (the layer pins its minor version)
    import importlib.util

    spec = importlib.util.find_spec("aws_lambda_powertools")
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations)))
    # Then its top package's __init__ does exactly the two things khaya.lean_imports repeats
    assert _top_level_effects(root / "__init__.py") == ["set_package_logger_handler()", "inject_user_agent()"]
    # And the other indexes only re-export
    for name in sorted(lean_imports.POWERTOOLS_INDEXES - {lean_imports.TOP}):
        init = root.joinpath(*name.split(".")[1:], "__init__.py")
        assert _top_level_effects(init) == [], name


def test_the_layer_pins_the_powertools_minor_version_these_tests_ran_against():
    from importlib.metadata import version

    pins = [
        line.split("#")[0].strip()
        for line in (ROOT / "layers" / "core" / "requirements.txt").read_text().splitlines()
        if line.startswith("aws-lambda-powertools")
    ]
    major, minor = version("aws-lambda-powertools").split(".")[:2]
    assert pins == [f"aws-lambda-powertools>={major}.{minor},<{major}.{int(minor) + 1}"]
    assert load_template()  # the template still loads with this Powertools (sanity of the venv)


def test_an_index_shipped_without_its_source_imports_as_upstream(fake_index):
    # Given the index compiled and its sources removed (a layer that ships bytecode only)
    import compileall

    pkg = fake_index / "fakeindex"
    compileall.compile_dir(pkg, legacy=True, quiet=1)
    for py in pkg.glob("*.py"):
        py.unlink()
    # When a name is asked for
    result = _lazy_fake(
        """
        from fakeindex import Cheap
        import fakeindex
        print(json.dumps({"cheap": Cheap.__name__, "version": fakeindex.VERSION,
                          "heavy": "fakeindex.heavy" in sys.modules}))
        """,
        fake_index,
    )
    # Then the real __init__ ran, as without khaya: every name is there
    assert result == {"cheap": "Cheap", "version": "1", "heavy": True}


def test_phone_checks_load_only_phonenumberutil_and_every_phonenumbers_name_still_resolves():
    result = _fresh_python(
        """
        import json, sys
        from khaya.phones import normalize_phone, region_of
        phone = normalize_phone("082 123 4567")
        kenyan = normalize_phone("+254 712 345678")
        loaded = {m: m in sys.modules for m in ("phonenumbers.phonenumbermatcher",
                  "phonenumbers.asyoutypeformatter", "phonenumbers.shortnumberinfo")}
        try:
            normalize_phone("0800 123 456")  # toll-free: not a mobile
            refused = False
        except Exception as exc:
            refused = type(exc).__name__
        import phonenumbers
        from phonenumbers import PhoneNumberMatcher, AsYouTypeFormatter
        print(json.dumps({"phone": phone, "kenyan": kenyan, "region": region_of(phone), "loaded": loaded,
                          "refused": refused, "matcher": PhoneNumberMatcher.__name__,
                          "formatter": AsYouTypeFormatter.__name__, "version": phonenumbers.__version__}))
        """,
        ROOT / "layers" / "core",
    )
    # Then numbers are read as before, without loading the modules only the matcher and formatters need
    assert (result["phone"], result["kenyan"], result["region"]) == ("+27821234567", "+254712345678", "ZA")
    assert result["refused"] == "ValidationFailed"
    assert result["loaded"] == dict.fromkeys(result["loaded"], False)
    # And every other name phonenumbers exports still resolves when asked for
    assert (result["matcher"], result["formatter"]) == ("PhoneNumberMatcher", "AsYouTypeFormatter")
    assert result["version"]


def test_the_phonenumbers_index_only_re_exports():
    import importlib.util

    spec = importlib.util.find_spec("phonenumbers")
    assert spec is not None and spec.origin
    # Its one other statement is the doctest guard, which does nothing on import
    assert [e.split(":")[0] for e in _top_level_effects(Path(spec.origin))] == ["if __name__ == '__main__'"]


def test_the_layer_makes_clients_and_items_without_importing_boto3():
    result = _fresh_python(
        """
        import json, os, sys
        os.environ.setdefault("AWS_DEFAULT_REGION", "af-south-1")
        from khaya.aws import client
        from khaya.db.codec import from_item, to_item
        ddb, s3 = client("dynamodb"), client("s3")
        item = from_item(to_item({"pk": "p", "n": 5, "tags": {"a"}, "blob": b"x"}))
        print(json.dumps({"boto3": sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "s3transfer")),
                          "services": [ddb.meta.service_model.service_name, s3.meta.service_model.service_name],
                          "item": [item["n"], sorted(item["tags"]), item["blob"].decode()]}))
        """,
        ROOT / "layers" / "core",
    )
    # Then botocore alone made the clients and the codec did the wire work: boto3's package
    # (s3transfer, its resource model) is never paid for on a cold start
    assert result == {"boto3": [], "services": ["dynamodb", "s3"], "item": [5, ["a"], "x"]}


def test_only_a_doctest_guard_with_nothing_else_is_skipped_by_the_lazy_loader():
    guarded = 'if __name__ == "__main__":\n    run_doctests()\n'
    assert lean_imports.Index(guarded, "p").effects == []
    # an else branch runs on import, so the lazy loader must keep the statement
    with_else = guarded + "else:\n    register_loader()\n"
    assert [ast.unparse(e) for e in lean_imports.Index(with_else, "p").effects] == [with_else.strip().replace('"', "'")]
