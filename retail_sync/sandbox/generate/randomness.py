"""Seeded random substreams: one per (seed, shop, day, purpose), so output never depends on the
order in which shops or days are processed, and changing one purpose's draws leaves the others."""

from __future__ import annotations

import hashlib
import random


def substream(seed: int, *labels: object) -> random.Random:
    """An independent `random.Random` for `seed` and a path of labels (shop, date, purpose)."""
    key = "/".join([str(seed), *(str(label) for label in labels)]).encode()
    digest = hashlib.blake2b(key, digest_size=16).digest()
    return random.Random(int.from_bytes(digest, "big"))  # noqa: S311 (simulation, not secrets)
