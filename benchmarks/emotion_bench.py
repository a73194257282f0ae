"""Angry / desperate detection on a labelled set written apart from the patterns
(benchmarks/emotion_eval.csv: text, label in angry | desperate | neutral). Prints
one JSON line: accuracy over the three labels, and precision / recall of
"upset" (angry or desperate, which is what raises a ticket's priority).

    .venv/bin/python benchmarks/emotion_bench.py [--errors]
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.conversation.urgency import mood  # noqa: E402

EVAL = Path(__file__).with_name("emotion_eval.csv")


def main() -> None:
    rows = list(csv.DictReader(EVAL.open(encoding="utf-8")))
    start = time.perf_counter()
    got = [mood(r["text"]) or "neutral" for r in rows]
    elapsed = time.perf_counter() - start
    exact = sum(g == r["label"] for g, r in zip(got, rows))
    tp = sum(g != "neutral" and r["label"] != "neutral" for g, r in zip(got, rows))
    flagged = sum(g != "neutral" for g in got)
    upset = sum(r["label"] != "neutral" for r in rows)
    if "--errors" in sys.argv:
        for g, r in zip(got, rows):
            if g != r["label"]:
                print(f"{r['label']:10} -> {g:10} {r['text']}", file=sys.stderr)
    print(json.dumps({
        "benchmark": "emotion", "n": len(rows), "accuracy": round(exact / len(rows), 4),
        "upset_precision": round(tp / flagged, 4) if flagged else None, "upset_recall": round(tp / upset, 4),
        "us_per_message": round(elapsed / len(rows) * 1e6, 1),
    }))


if __name__ == "__main__":
    main()
