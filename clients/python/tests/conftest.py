"""Unit tests of the SDK (no node needed): they import `opg` from this folder's parent, the
package as this clone holds it. Its tests against a running node are scripts/e2e/test_sdk.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
