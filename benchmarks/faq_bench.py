"""FAQ engine quality and speed benchmarks; prints one JSON line per benchmark.

Usage (from the project root)::

    .venv/bin/python benchmarks/faq_bench.py                   # the default engine (TF-IDF + WordLlama vectors)
    .venv/bin/python benchmarks/faq_bench.py --embedder none   # TF-IDF only
    .venv/bin/python benchmarks/faq_bench.py --embedder e5     # TF-IDF + multilingual-e5-small
    .venv/bin/python benchmarks/faq_bench.py --only banking77_10shot service

Data comes from ``../shared/data`` relative to the project root and is never
copied into the repository.  There is no test split, so every benchmark uses a
stratified 80/20 split of the labelled rows with a fixed seed.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.faq.embedders import DEFAULT_EMBEDDER  # noqa: E402
from core.faq.evaluate import read_labelled_csv  # noqa: E402

__all__ = ["main", "stratified_split", "OUT_OF_SCOPE_CHATTER"]

_LOGGER = logging.getLogger(__name__)

DATA = ROOT.parent / "shared" / "data"
SEED = 0

Rows = list[tuple[str, str]]

# Wallet-community chatter a support bot must not answer from the FAQ.  Written
# for this benchmark; deliberately different from the engine's own background
# examples so that abstention is measured on unseen chatter.
OUT_OF_SCOPE_CHATTER: tuple[str, ...] = (
    "gm frens", "good evening all", "hey guys what's up", "hello hello", "yo", "sup everyone",
    "thanks mate, appreciate it", "cheers!", "nice one", "haha that's funny", "ok got it thx",
    "have a nice weekend everyone", "anyone online?", "is this the official group?", "first time here, hi",
    "btc to 200k by christmas?", "is eth going to flip bitcoin", "should I long or short doge",
    "what's your price target for sol", "is now the bottom?", "are we in a bull market",
    "which memecoin should i ape into", "pepe is pumping lol", "wen airdrop", "wen listing on binance",
    "who else is holding since 2017", "buy the dip!!", "this market is crazy today",
    "what's the best crypto to invest $100 in", "do you think the fed will cut rates",
    "anyone going to the conference in Singapore", "what's the best pizza topping",
    "can you help me with my python homework", "how tall is mount everest", "play some music",
    "recommend a good sci-fi book", "my cat just knocked over my coffee", "what day is it today",
    "i love this community", "who is the founder of this project", "please follow me on twitter",
    "大家早上好", "晚上好各位", "哈喽", "谢谢大佬", "收到，感谢", "有人在吗？", "第一次来，大家好",
    "比特币还会跌吗", "以太坊什么时候到一万", "现在抄底合适吗", "狗狗币能不能买", "牛市来了吗",
    "哪个山寨币会涨十倍", "空投什么时候发", "今天行情太疯狂了", "推荐个好看的电视剧", "中午吃啥好",
    "北京今天下雨吗", "帮我写个作业", "群主在吗哈哈",
)


def stratified_split(rows: Sequence[tuple[str, str]], test_share: float = 0.2, seed: int = SEED) -> tuple[Rows, Rows]:
    """Per-label shuffled split: ``test_share`` of each label (at least one row) goes to test."""
    by_label: dict[str, Rows] = defaultdict(list)
    for row in rows:
        by_label[row[1]].append(row)
    rng = random.Random(seed)
    train: Rows = []
    test: Rows = []
    for label in sorted(by_label):
        group = by_label[label][:]
        rng.shuffle(group)
        k = max(1, round(len(group) * test_share))
        test += group[:k]
        train += group[k:]
    return train, test


def _banking() -> Rows:
    return read_labelled_csv(DATA / "banking77" / "train.csv")


def _cic() -> Rows:
    return read_labelled_csv(DATA / "cic" / "train.csv") + read_labelled_csv(DATA / "cic" / "dev.csv")


def _emit(name: str, started: float, result: dict[str, object], **extra: object) -> None:
    line = {"benchmark": name, **extra, **result, "wall_s": round(time.perf_counter() - started, 1)}
    print(json.dumps(line, ensure_ascii=False), flush=True)


def bench_banking77_10shot(embedder: str | None) -> None:
    started = time.perf_counter()
    train, test = stratified_split(_banking())
    _emit("banking77_10shot", started, _eval(train, test, shots=10, embedder=embedder), embedder=embedder)


def bench_banking77_full(embedder: str | None) -> None:
    started = time.perf_counter()
    train, test = stratified_split(_banking())
    _emit("banking77_full", started, _eval(train, test, shots=None, embedder=embedder), embedder=embedder)


def bench_cic(embedder: str | None) -> None:
    started = time.perf_counter()
    train, test = stratified_split(_cic())
    _emit("cic_train_dev", started, _eval(train, test, shots=None, embedder=embedder), embedder=embedder)


NOISY_SHARE = 0.2


def _relabelled(rows: Rows, share: float, seed: int = 1) -> Rows:
    """``share`` of the rows get another label at random (the DataCLUE kind of noise, made known)."""
    rng = random.Random(seed)
    labels = sorted({label for _, label in rows})
    return [(text, rng.choice([x for x in labels if x != label]) if rng.random() < share else label)
            for text, label in rows]


class _NoiseEstimate(logging.Handler):
    """Catches the engine's "labels look noisy" warning: its first argument is the estimate in %."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.percent: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if "mislabelled" in record.msg and record.args:
            self.percent = round(float(record.args[0]), 1)  # type: ignore[index]


def bench_banking77_noisy(embedder: str | None) -> None:
    """BANKING77 with 20 % of the training labels wrong, scored on the clean held-out split."""
    started = time.perf_counter()
    train, test = stratified_split(_banking())
    catcher = _NoiseEstimate()
    logging.getLogger("core.faq.build").addHandler(catcher)
    try:
        result = _eval(_relabelled(train, NOISY_SHARE), test, shots=None, embedder=embedder)
    finally:
        logging.getLogger("core.faq.build").removeHandler(catcher)
    _emit("banking77_noisy_labels", started, result, embedder=embedder, wrong_label_share=NOISY_SHARE,
          estimated_wrong_pct=catcher.percent)


def bench_abstention(embedder: str | None) -> None:
    """BANKING77 held-out (in scope) plus wallet chatter (out of scope), default threshold."""
    started = time.perf_counter()
    train, test = stratified_split(_banking())
    test = test + [(text, "__chatter__") for text in OUT_OF_SCOPE_CHATTER]
    _emit("abstention_banking77_plus_chatter", started, _eval(train, test, shots=None, embedder=embedder),
          embedder=embedder, n_chatter=len(OUT_OF_SCOPE_CHATTER))


def _eval(train: Rows, test: Rows, *, shots: int | None, embedder: str | None) -> dict[str, object]:
    import core.faq.evaluate as fe

    return fe.evaluate(train, test, shots=shots, seed=SEED, threshold=None, embedder=embedder or "none")


_SERVICE_PROBE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from benchmarks.faq_bench import _banking, stratified_split
from core.faq_engine import FaqEngine
from core.faq.heap import keep_large_blocks_returnable
keep_large_blocks_returnable()  # as `walletdesk` does at start
rows = _banking()[:10000]
t0 = time.perf_counter()
engine = FaqEngine.from_examples([t for t, _ in rows], [l for _, l in rows])
build_s = time.perf_counter() - t0
_, held = stratified_split(rows)
questions = [t for t, _ in held][:1000]
for q in questions[:20]:
    engine.ask(q)
lat = []
for q in questions:
    s = time.perf_counter(); engine.ask(q); lat.append((time.perf_counter() - s) * 1000)
with open("/proc/self/status") as fh:
    status = {l.split(":")[0]: int(l.split()[1]) / 1024 for l in fh if l.startswith(("VmRSS:", "VmHWM:"))}
# VmHWM, not ru_maxrss: Linux carries the forking parent's peak across exec into ru_maxrss
print(json.dumps({"build_s": round(build_s, 2), "n_examples": len(rows),
                  "p50_ms": round(float(np.percentile(lat, 50)), 3), "p99_ms": round(float(np.percentile(lat, 99)), 3),
                  "n_queries": len(lat), "rss_mb": round(status["VmRSS"], 1), "max_rss_mb": round(status["VmHWM"], 1)}))
"""


def bench_service(embedder: str | None) -> None:
    """Build time for 10,000 examples, single-query latency and RSS, in a fresh one-core process."""
    started = time.perf_counter()
    _emit("build_latency_rss_10k", started, _probe(_SERVICE_PROBE, embedder), embedder=embedder)


_BUNDLED_PROBE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from benchmarks.faq_bench import OUT_OF_SCOPE_CHATTER
from core.faq_engine import FaqEngine
from core.faq.heap import keep_large_blocks_returnable
keep_large_blocks_returnable()  # as `walletdesk` does at start
from core.faq.files import load_faq
entries = load_faq()
t0 = time.perf_counter()
engine = FaqEngine(entries)
build_s = time.perf_counter() - t0
answered = [q for q in OUT_OF_SCOPE_CHATTER if engine.ask(q).answered]
own = [(q, e.id) for e in entries for q in e.all_questions()]
own_ok = sum(engine.ask(q).id == eid for q, eid in own)
with open("/proc/self/status") as fh:
    rss = next(int(l.split()[1]) for l in fh if l.startswith("VmRSS:")) / 1024
print(json.dumps({"entries": len(entries), "n_examples": len(own), "build_s": round(build_s, 3),
                  "threshold": round(engine.threshold, 4),
                  "chatter_abstained": round(1 - len(answered) / len(OUT_OF_SCOPE_CHATTER), 4),
                  "chatter_answered": answered, "own_examples_top1": round(own_ok / len(own), 4),
                  "rss_mb": round(rss, 1)}, ensure_ascii=False))
"""


def _probe(script: str, embedder: str | None) -> dict[str, object]:
    """Run ``script`` in a fresh process pinned to one CPU core; return its JSON line."""
    env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PATH": "/usr/bin:/bin", "WALLETDESK_FAQ_EMBEDDER": embedder or "none"}
    cmd = ["taskset", "-c", "0", sys.executable, "-c", script, str(ROOT)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_bundled(embedder: str | None) -> None:
    """The shipped wallet FAQ: build time, RSS, and abstention on wallet chatter."""
    started = time.perf_counter()
    _emit("bundled_faq_chatter", started, _probe(_BUNDLED_PROBE, embedder), embedder=embedder)


# Questions written blind to the bundled FAQ's examples (only its topics and answers
# were shown), 20 en + 20 zh per entry: how the shipped FAQ meets new phrasings.
BUNDLED_EVAL = ROOT / "benchmarks" / "bundled_faq_eval.csv"


def _bundled_rows() -> Rows:
    from core.faq.files import load_faq

    return [(q, e.id) for e in load_faq() for q in e.all_questions()]


def bench_bundled_eval(embedder: str | None) -> None:
    """The shipped FAQ on the blind question set, as ``walletdesk faq eval --test`` reports it,
    plus top-1 of its own examples when each fifth is held out in turn."""
    started = time.perf_counter()
    rows = _bundled_rows()
    result = _eval(rows, read_labelled_csv(BUNDLED_EVAL), shots=None, embedder=embedder)
    held_ok = 0
    for k in range(5):
        held = _eval([r for n, r in enumerate(rows) if n % 5 != k], [r for n, r in enumerate(rows) if n % 5 == k],
                     shots=None, embedder=embedder)
        held_ok += round(float(held["accuracy"]) * float(held["n"]))  # type: ignore[arg-type]
    _emit("bundled_faq_blind_questions", started, result, embedder=embedder, n_examples=len(rows),
          own_examples_heldout_top1=round(held_ok / len(rows), 4))


BENCHMARKS: dict[str, Callable[[str | None], None]] = {
    "banking77_10shot": bench_banking77_10shot,
    "banking77_full": bench_banking77_full,
    "cic": bench_cic,
    "noisy": bench_banking77_noisy,
    "abstention": bench_abstention,
    "service": bench_service,
    "bundled": bench_bundled,
    "bundled_eval": bench_bundled_eval,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedder", choices=["wordllama", "e5", "none"], default=DEFAULT_EMBEDDER,
                        help="sentence embeddings added to TF-IDF (default: the engine's default)")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS), help="run only these benchmarks")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(json.dumps({"benchmark": "faq", "skipped": f"no data at {DATA}"}))
        return 0
    for name in args.only or list(BENCHMARKS):
        BENCHMARKS[name](None if args.embedder == "none" else args.embedder)
    _LOGGER.debug("peak RSS of the benchmark process: %.0f MB",
                  resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
