"""One content hash for everything rater versions: rubrics, calibrations, call keys."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def content_hash(value: Any) -> str:
    """sha256 of ``value`` as canonical JSON.

    Keys are sorted as JSON strings (after a JSON round trip), so a mapping
    with integer keys, such as a 1-10 scale's anchors, hashes the same as the
    copy a database stores and reads back, where the keys are strings.
    """
    plain = json.loads(json.dumps(value, ensure_ascii=False, default=str))
    canonical = json.dumps(plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
