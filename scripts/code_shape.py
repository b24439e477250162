"""Plain measures of the code's shape: the longest functions and the largest files.

    python scripts/code_shape.py [--top N] [ROOT]

Counts physical lines (a function from its `def` or first decorator to its last line) over
`retail_sync/` (its SQL models included), `retail_sync_tests/` and `benchmarks/` below ROOT
(default: the checkout).
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

PARTS = ("retail_sync", "retail_sync_tests", "benchmarks")


def _files(root: Path) -> list[Path]:
    found: list[Path] = []
    for part in PARTS:
        found += [p for p in (root / part).rglob("*") if p.suffix in {".py", ".sql"}]
    return sorted(found)


def longest_functions(root: Path, top: int) -> list[tuple[int, str]]:
    sizes: list[tuple[int, str]] = []
    for path in _files(root):
        if path.suffix != ".py":
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                lines = (node.end_lineno or node.lineno) - first + 1
                sizes.append((lines, f"{path.relative_to(root)}:{first} {node.name}"))
    return sorted(sizes, key=lambda item: (-item[0], item[1]))[:top]


def largest_files(root: Path, top: int) -> list[tuple[int, str]]:
    sizes = [(len(p.read_text().splitlines()), str(p.relative_to(root))) for p in _files(root)]
    return sorted(sizes, key=lambda item: (-item[0], item[1]))[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    root = Path(args.root)
    print(f"Longest {args.top} functions (lines):")
    for lines, where in longest_functions(root, args.top):
        print(f"  {lines:5d}  {where}")
    print("Largest 10 files (lines):")
    for lines, where in largest_files(root, 10):
        print(f"  {lines:5d}  {where}")


if __name__ == "__main__":
    main()
