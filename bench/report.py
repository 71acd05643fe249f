"""The benchmark's table (with the targets of issue 7) and chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# (label, section, key, target, lower is better)
ROWS: list[tuple[str, str, str, float | None, bool]] = [
    ("W-latency p50 (ms)", "latency", "p50_ms", 5, True),
    ("W-latency p95 (ms)", "latency", "p95_ms", None, True),
    ("W-latency p99 (ms)", "latency", "p99_ms", 25, True),
    ("W-throughput (runs/s)", "throughput", "runs_per_s", 1000, False),
    ("W-throughput starts/s", "throughput", "starts_per_s", None, False),
    ("W-steps per step (ms)", "steps", "per_step_ms", 2, True),
    ("W-list seed filter p95 (ms)", "list", "seed_filter_p95_ms", 50, True),
    ("W-list first page p95 (ms)", "list", "first_page_p95_ms", 50, True),
    ("W-list page 100 p95 (ms)", "list", "page_100_p95_ms", 50, True),
    ("W-cancel pending p50 (ms)", "cancel", "pending_p50_ms", 10, True),
    ("W-cancel running p50 (ms)", "cancel", "running_p50_ms", None, True),
]


def _mark(value: float, target: float | None, lower: bool) -> str:
    if target is None:
        return ""
    met = value <= target if lower else value >= target
    return "met" if met else f"missed by {abs(value - target):.3g}"


def table(results: dict[str, Any]) -> str:
    backends = results["backends"]
    head = "| workload | target | " + " | ".join(b["backend"] for b in backends) + " |"
    lines = [head, "| --- | --- | " + " | ".join("---" for _ in backends) + " |"]
    for label, section, key, target, lower in ROWS:
        cells = []
        for b in backends:
            value = b.get(section, {}).get(key)
            if value is None:
                cells.append("—")
                continue
            mark = _mark(value, target, lower) if b["backend"] == "sqlite" else ""
            cells.append(f"{value:g}" + (f" ({mark})" if mark else ""))
        bound = "" if target is None else ("≤ " if lower else "≥ ") + f"{target:g}"
        lines.append(f"| {label} | {bound} | " + " | ".join(cells) + " |")
    for label, key in (("idle RSS (MiB)", "memory_idle_mb"), ("peak RSS (MiB)", "memory_peak_mb")):
        cells = []
        for b in backends:
            rss = b.get(key, {})
            mark = ""
            if key == "memory_idle_mb" and rss:
                mark = f" ({_mark(max(rss.values()), 120, True)})"
            cells.append(", ".join(f"{n} {v:g}" for n, v in rss.items()) + mark)
        target = "≤ 120 (idle)" if key == "memory_idle_mb" else ""
        lines.append(f"| {label} | {target} | " + " | ".join(cells) + " |")
    celery = next((p for p in results.get("peers", []) if "celery" in p["backend"]), None)
    if celery is not None:  # the PostgreSQL target is relative: 5x Celery, same run
        cells = []
        for b in backends:
            ratio = (
                b.get("throughput", {}).get("runs_per_s", 0) / celery["throughput"]["runs_per_s"]
            )
            mark = f" ({_mark(ratio, 5, False)})" if b["backend"] == "postgres" else ""
            cells.append(f"x{ratio:.3g}{mark}")
        lines.append("| W-throughput / Celery's | ≥ 5 (postgres) | " + " | ".join(cells) + " |")
    for peer in results.get("peers", []):
        lines.append("")
        lines.append(f"Peer: {peer['backend']}")
        lat, thr = peer["latency"], peer["throughput"]
        lines.append(
            f"  W-latency p50 {lat['p50_ms']:g} ms, p99 {lat['p99_ms']:g} ms;"
            f" W-throughput {thr['runs_per_s']:g} runs/s"
        )
        for b in backends:
            mine = b.get("throughput", {}).get("runs_per_s")
            p50 = b.get("latency", {}).get("p50_ms")
            if mine and p50:
                lines.append(
                    f"  openpal {b['backend']} / peer: throughput x{mine / thr['runs_per_s']:.3g},"
                    f" latency p50 x{p50 / lat['p50_ms']:.3g} (lower is better)"
                )
    return "\n".join(lines)


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # log scales where peers differ from openpal by orders of magnitude (Prefect)
    panels = [
        ("W-latency (ms, log)", "latency", ["p50_ms", "p95_ms", "p99_ms"], True),
        ("W-throughput (runs/s, log)", "throughput", ["runs_per_s"], True),
        ("W-list at scale (ms, p95)", "list", ["seed_filter_p95_ms", "page_100_p95_ms"], False),
    ]
    series = [(f"openpal {b['backend']}", b) for b in results["backends"]]
    series += [(p["backend"].split(" + ")[0].split(" ")[0], p) for p in results.get("peers", [])]
    fig, axes = plt.subplots(1, len(panels), figsize=(13, 4))
    for ax, (title, section, keys, log) in zip(axes, panels, strict=True):
        shown = [(name, b) for name, b in series if section in b]
        width = 0.8 / max(1, len(shown))
        for i, (name, b) in enumerate(shown):
            values = [b.get(section, {}).get(k, 0) for k in keys]
            xs = [j + i * width for j in range(len(keys))]
            ax.bar(xs, values, width=width, label=name)
        ax.set_xticks([j + width * (len(shown) - 1) / 2 for j in range(len(keys))])
        ax.set_xticklabels([k.replace("_ms", "").replace("_", " ") for k in keys], fontsize=8)
        ax.set_title(title)
        if log:
            ax.set_yscale("log")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":  # redraw: python -m bench.report results.json chart.png
    import json
    import sys

    chart(json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]))
