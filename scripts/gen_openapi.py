#!/usr/bin/env python3
"""Regenerate docs/openapi.yaml, the SiPelangi ticket API contract, from the server code.

Usage: .venv/bin/python scripts/gen_openapi.py [--check]
  --check   exit 1 (and write nothing) when docs/openapi.yaml is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from sipelangi_net.server.app import openapi_yaml

TARGET = Path(__file__).resolve().parents[1] / "docs" / "openapi.yaml"


def main(argv: list[str]) -> int:
    text = openapi_yaml()
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
    if "--check" in argv:
        if current != text:
            print(f"{TARGET}: out of date; run scripts/gen_openapi.py", file=sys.stderr)
            return 1
        return 0
    if current != text:
        TARGET.write_text(text, encoding="utf-8")
        print(f"wrote {TARGET}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
