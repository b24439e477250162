"""Where a world is written: refusing a folder that holds anything but a world, and JSON writers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import IO, Any

WORLD_ENTRIES = {"world.json", "shopify", "erp", "truth"}

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class OutputFolderError(ValueError):
    """The output folder holds something that is not a world."""


def prepare_output(out: Path) -> None:
    """Empty `out` for a new world; refuse if it holds anything but a (partial) generated world."""
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"{out} exists and is not a directory")
    if out.is_dir():
        entries = {entry.name for entry in out.iterdir()}
        foreign = sorted(entries - WORLD_ENTRIES)
        if foreign:
            raise OutputFolderError(
                f"refusing to write into {out}: it is not empty and holds {', '.join(foreign[:3])} "
                "which is not part of a world"
            )
        manifest = out / "world.json"
        if manifest.exists():
            try:
                generator = json.loads(manifest.read_text(encoding="utf-8")).get("generator")
            except (ValueError, AttributeError):
                generator = None
            if not generator:
                raise OutputFolderError(
                    f"refusing to overwrite {out}: it holds a hand-written world"
                )
        for name in entries:
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)


class JsonlWriter:
    """Appends one compact JSON object per line, through a large buffer."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.count = 0
        self._handle: IO[str] = path.open("w", encoding="utf-8", buffering=1 << 20)
        self._encode = _encoder.encode

    def write(self, record: dict[str, Any]) -> None:
        self._handle.write(self._encode(record))
        self._handle.write("\n")
        self.count += 1

    def close(self) -> None:
        self._handle.close()


def write_json(path: Path, document: Any) -> None:
    """A small `.json` document, indented for people."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
