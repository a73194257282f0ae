"""`make bench`: runs every benchmark script here in turn; each prints one JSON line
per benchmark. Long fault-injection runs are opt-in (`--with-faults`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["faq_bench.py", "shield_bench.py", "dialogue_acts_bench.py", "emotion_bench.py", "chain_bench.py",
         "queue_bench.py", "image_shield_bench.py", "throughput.py"]


def main() -> int:
    scripts = [HERE / name for name in ORDER if (HERE / name).exists()]
    if "--with-faults" in sys.argv and (HERE / "faults.py").exists():
        scripts.append(HERE / "faults.py")
    failed = 0
    for script in scripts:
        print(f"# {script.name}", file=sys.stderr, flush=True)
        failed += subprocess.call([sys.executable, str(script)], cwd=HERE.parent) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
