"""The framed lines `njia run` prints to the person at the terminal."""

from __future__ import annotations


def banner(*lines: str) -> None:
    width = max(len(line) for line in lines) + 4
    print("\n" + "=" * width, flush=True)
    for line in lines:
        print(f"  {line}", flush=True)
    print("=" * width + "\n", flush=True)
