"""Tests of the Python tools that need no node: they import the SDK (`opg`, clients/python)
and the tools built on it (`opg_tools`, scripts/) from this clone."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2] / "clients" / "python"),
                str(Path(__file__).resolve().parents[1])]
