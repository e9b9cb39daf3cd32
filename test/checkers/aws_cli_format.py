#!/usr/bin/env python3
"""The aws CLI's own text and table formatters (awscli.formatter), as an oracle for trent kms.

Reads a JSON list of {"format": "text"|"table", "title": ..., "data": ...} on stdin and writes
a JSON list of what the aws CLI prints for each (colour off, stdout not a terminal: 80 columns).
"""
import argparse
import io
import json
import sys

from awscli.formatter import TableFormatter, TextFormatter


def main() -> None:
    cases = json.load(sys.stdin)
    out = []
    for case in cases:
        args = argparse.Namespace(query=None, color="off")
        formatter = TableFormatter(args) if case["format"] == "table" else TextFormatter(args)
        stream = io.StringIO()
        formatter(case["title"], case["data"], stream)
        out.append(stream.getvalue())
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
