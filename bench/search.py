"""Search ranking inside the function, measured at 1k, 10k and 50k candidates.

What ``GET /v1/jobs/search`` does with its candidates after DynamoDB answers, on this
machine, for each size:

* **parse**: the Query responses as DynamoDB sends them (JSON of the projected attributes:
  ``sk``, ``title``, ``category``, ``embedding`` as base64 of 512 float16, and
  ``embeddingModel``; pages cut at 1 MB of whole items, as DynamoDB pages) through botocore's
  own parser, then ``khaya.db.codec``;
* **rank**: the search's own scoring of each page and its top 20 (``khaya.ai.search``), with
  numpy and with pure Python;
* **peak memory** of parse + rank (``tracemalloc``; pages stream, so it is about one page);
* the DynamoDB side it implies: pages (serial round trips) and read units
  (eventually consistent: 0.5 per 4 KB of whole items read, projection or not);
* and what importing numpy costs a cold start.

    python -m bench.search [--sizes 1000 10000 50000] [--repeats 3] [--no-write]

Writes ``bench/search_results.json``. Absolute milliseconds depend on the machine (the search
function's 1024 MB buy about 0.6 of a vCPU on Lambda); compare the columns.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "search_results.json"
PAGE_BYTES = 1024 * 1024
SUMMARY_BYTES = 360  # the index item's summary fields (id, title, city, budget, dates...), as stored


def _unit(rng: random.Random) -> list[float]:
    raw = [rng.gauss(0, 1) for _ in range(512)]
    norm = math.sqrt(sum(v * v for v in raw))
    return [v / norm for v in raw]


def make_pages(n: int, seed: int = 11) -> tuple[list[bytes], int]:
    """The raw Query responses for ``n`` candidates, and the bytes of whole items read."""
    from khaya.ai.embeddings import LOCAL_MODEL, to_bytes

    rng = random.Random(seed)
    pages: list[bytes] = []
    items: list[dict[str, Any]] = []
    used = total = 0
    for i in range(n):
        blob = to_bytes(_unit(rng))
        sk = f"2026-11-{1 + i % 28:02d}T08:00:00.000Z#01BENCH{i:019d}"
        item = {
            "sk": {"S": sk},
            "title": {"S": f"Bench job {i}: geyser, taps and drains"},
            "category": {"S": "plumbing"},
            "embedding": {"B": base64.b64encode(blob).decode("ascii")},
            "embeddingModel": {"S": LOCAL_MODEL},
        }
        size = SUMMARY_BYTES + len(blob) + len(sk) + 60
        if used + size > PAGE_BYTES:
            pages.append(json.dumps({"Items": items, "Count": len(items)}).encode())
            items, used = [], 0
        items.append(item)
        used += size
        total += size
    pages.append(json.dumps({"Items": items, "Count": len(items)}).encode())
    return pages, total


def _parser() -> Any:
    import botocore.session
    from botocore.parsers import create_parser

    model = botocore.session.get_session().get_service_model("dynamodb").operation_model("Query")
    parser = create_parser("json")

    def parse(body: bytes) -> list[dict[str, Any]]:
        response = {"status_code": 200, "headers": {}, "body": body}
        parsed: list[dict[str, Any]] = parser.parse(response, model.output_shape)["Items"]
        return parsed

    return parse


def run_pipeline(raw_pages: list[bytes], use_numpy: bool) -> tuple[float, float, list[tuple[float, Any]]]:
    """(parse ms, rank ms, top 20) for the candidates, the way the search handles them."""
    from khaya.ai import embeddings, ranking, search
    from khaya.db.codec import from_item

    parse = _parser()
    query = embeddings.Embedding(embeddings.local_embed("water heater leak"), embeddings.LOCAL_MODEL, "fallback")
    chosen = ranking.scores_numpy if use_numpy else ranking.scores_pure
    original, ranking.scores = ranking.scores, chosen  # type: ignore[assignment]
    parse_s = rank_s = 0.0
    best = ranking.TopK(20)
    try:
        for body in raw_pages:
            t0 = time.perf_counter()
            page = [from_item(item) or {} for item in parse(body)]
            t1 = time.perf_counter()
            for scored in search._scored_pages(query, query.vector, iter([page])):
                for score, candidate in scored:
                    best.offer(score, str(candidate["sk"]), candidate)
            parse_s += t1 - t0
            rank_s += time.perf_counter() - t1
    finally:
        ranking.scores = original  # type: ignore[assignment]
    return parse_s * 1000, rank_s * 1000, best.best()


def peak_mib(raw_pages: list[bytes], use_numpy: bool) -> float:
    tracemalloc.start()
    run_pipeline(raw_pages, use_numpy)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def numpy_import_ms(runs: int = 5) -> float:
    code = "import time; t = time.perf_counter(); import numpy; print((time.perf_counter() - t) * 1000)"
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(times)


def measure(n: int, repeats: int) -> dict[str, Any]:
    raw, total_bytes = make_pages(n)
    row: dict[str, Any] = {
        "candidates": n,
        "pages": len(raw),
        "read_units": math.ceil(total_bytes / 4096 * 0.5),
        "response_mib": round(sum(len(p) for p in raw) / 2**20, 1),
    }
    tops = {}
    for label, use_numpy in (("numpy", True), ("pure", False)):
        runs = [run_pipeline(raw, use_numpy) for _ in range(repeats)]
        row[f"parse_ms_{label}"] = round(statistics.median(r[0] for r in runs), 1)
        row[f"rank_ms_{label}"] = round(statistics.median(r[1] for r in runs), 1)
        row[f"total_ms_{label}"] = round(row[f"parse_ms_{label}"] + row[f"rank_ms_{label}"], 1)
        row[f"peak_mib_{label}"] = round(peak_mib(raw, use_numpy), 1)
        tops[label] = [c["sk"] for _, c in runs[0][2]]
    row["same_top_20"] = tops["numpy"] == tops["pure"]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 10000, 50000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "layers" / "core"))

    warm, _ = make_pages(100)
    for use_numpy in (True, False):  # load botocore's model, numpy and the vocabulary before timing
        run_pipeline(warm, use_numpy)
    rows = []
    for n in args.sizes:
        print(f"bench search ranking at {n} candidates ...", file=sys.stderr, flush=True)
        rows.append(measure(n, args.repeats))
    imported = numpy_import_ms()
    columns = [
        ("candidates", "candidates"),
        ("pages", "DynamoDB pages"),
        ("read_units", "read units"),
        ("parse_ms_numpy", "parse ms"),
        ("rank_ms_pure", "rank ms (pure)"),
        ("rank_ms_numpy", "rank ms (numpy)"),
        ("total_ms_pure", "total ms (pure)"),
        ("total_ms_numpy", "total ms (numpy)"),
        ("peak_mib_numpy", "peak MiB"),
        ("same_top_20", "same top 20"),
    ]
    print("| " + " | ".join(title for _, title in columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row[key]) for key, _ in columns) + " |")
    print(f"\nimporting numpy on a cold start: {imported:.0f} ms (median of 5 fresh processes)")
    if not args.no_write:
        doc = {
            "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {"python": platform.python_version(), "arch": platform.machine()},
            "numpy_import_ms": round(imported, 1),
            "results": rows,
        }
        RESULTS.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
