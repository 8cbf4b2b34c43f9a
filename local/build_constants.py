"""Build step: write the layer's constant answers into a built core layer (never deployed itself).

    python -m local.build_constants .aws-sam/build/CoreLayer/python

``make build`` runs it after ``sam build``: the docs page of ``GET /v1/docs``, its gzipped
bytes and its Content-Security-Policy, made from the Swagger UI files of the Powertools in that
built layer (``khaya.docs.write_built``), so the function only reads bytes. The OpenAPI
document is already a file of the layer (``make openapi``).
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.build_constants", description=__doc__.splitlines()[0])
    parser.add_argument("layer_dir", help="a built core layer's python/ folder")
    args = parser.parse_args(argv)
    from khaya.docs import write_built

    for path in write_built(args.layer_dir):
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
