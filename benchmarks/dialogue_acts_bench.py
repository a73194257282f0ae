"""Dialogue acts on a labelled set written apart from the patterns
(benchmarks/dialogue_acts_eval.csv: text, context, act). Prints one JSON line:
accuracy, per-act errors, and how many act rows were read as "other": only those
reach the FAQ (the act handlers run before it), so ``acts_read_as_other`` bounds
how many small-talk messages the FAQ could answer; and the time per message.

    .venv/bin/python benchmarks/dialogue_acts_bench.py [--errors]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.conversation.acts import Act, ActContext, classify  # noqa: E402

EVAL = Path(__file__).with_name("dialogue_acts_eval.csv")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", action="store_true", help="list the misread rows on stderr")
    args = parser.parse_args()
    rows = list(csv.DictReader(EVAL.open(encoding="utf-8")))
    wrong: Counter[str] = Counter()
    misread_other: list[dict[str, str]] = []
    start = time.perf_counter()
    got = [classify(r["text"], ActContext(r["context"])) for r in rows]
    elapsed = time.perf_counter() - start
    for row, act in zip(rows, got):
        if act.value != row["act"]:
            wrong[row["act"]] += 1
            if args.errors:
                print(f"{row['context']:9} {row['act']:16} -> {act.value:16} {row['text']}", file=sys.stderr)
        if act is Act.OTHER and row["act"] != "other":
            misread_other.append(row)
    acts_rows = sum(1 for r in rows if r["act"] != "other")
    print(json.dumps({
        "benchmark": "dialogue_acts", "n": len(rows), "n_acts": acts_rows,
        "accuracy": round(1 - sum(wrong.values()) / len(rows), 4),
        "errors_by_act": dict(wrong), "acts_read_as_other": len(misread_other),
        "us_per_message": round(elapsed / len(rows) * 1e6, 1),
    }))


if __name__ == "__main__":
    main()
