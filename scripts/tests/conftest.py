"""Tests of the Python tools that need no node: they import opg_tools from scripts/."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
