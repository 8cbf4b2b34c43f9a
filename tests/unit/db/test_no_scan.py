"""No request path may Scan the table: not in code, not in any function's IAM policy."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_no_code_calls_scan_and_no_function_may() -> None:
    # Given every module of the layer and the functions, and the template
    sources = [*ROOT.joinpath("layers").rglob("*.py"), *ROOT.joinpath("functions").rglob("*.py")]
    pattern = re.compile(r"""\.scan\(|["']Scan["']|dynamodb:Scan""")

    # Then none of them scans, and no policy grants Scan
    offenders = [str(p.relative_to(ROOT)) for p in sources if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
    template = ROOT.joinpath("template.yaml").read_text(encoding="utf-8").splitlines()
    granted = [line for line in template if "dynamodb:Scan" in line and not line.lstrip().startswith("#")]
    assert granted == []
