#!/usr/bin/env python3
"""Writes the README's example files into a folder, so tests build them as written.

A fenced block right after a `<!-- file: NAME -->` line is the file NAME.
"""
import pathlib
import re
import sys


def main() -> int:
    readme, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    text = readme.read_text()
    blocks = re.findall(r"<!-- file: (\S+) -->\n```[a-z]*\n(.*?)\n```", text, re.S)
    if not blocks:
        print(f"no <!-- file: --> blocks in {readme}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    for name, body in blocks:
        (out / name).write_text(body + "\n")
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
