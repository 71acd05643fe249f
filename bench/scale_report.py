"""The scale benchmark's table (markdown) and chart, from its JSON results alone, so a
run saved on another machine can be rendered here (`python -m bench.scale --report`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

HEAD = ("topology", "runs/s", "starts/s", "API ms/run", "workers ms/run", "openpal ms/run",
        "PostgreSQL ms/run", "statements/run", "held p50 ms", "held p99 ms",
        "held/unheld CPU")  # fmt: skip


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}" if isinstance(value, float) else f"{value:,}"


def row(t: dict[str, Any]) -> list[str]:
    unheld = t["unheld"]
    cpu = unheld["cpu_ms_per_run"]
    held = t.get("held") or {}
    return [
        t["topology"],
        _num(unheld["runs_per_s"]),
        _num(unheld["starts_per_s"]),
        _num(cpu.get("api")),
        _num(cpu.get("workers")),
        _num(cpu.get("openpal")),
        _num(cpu.get("postgres")),
        _num(unheld.get("statements_per_run")),
        _num(held.get("p50_ms")),
        _num(held.get("p99_ms")),
        _num(t.get("held_cpu_ratio")),
    ]


def machine_line(m: dict[str, Any]) -> str:
    pg = m.get("postgres") or {}
    parts = [f"{m['cores']} cores", f"Python {m['python']}", m.get("platform", "")]
    if pg:
        parts.append(
            f"PostgreSQL {pg.get('server_version')} (fsync={pg.get('fsync')}, "
            f"synchronous_commit={pg.get('synchronous_commit')}, "
            f"full_page_writes={pg.get('full_page_writes')})"
        )
    return "; ".join(p for p in parts if p)


def table(results: dict[str, Any]) -> str:
    s = results["settings"]
    lines = [
        f"machine: {machine_line(results['machine'])}",
        f"workload: {s['runs']:,} runs of noop3 per topology, started without a hold by "
        f"{s['loaders']} load generators x {s['clients']} SDK clients; {s['slots']} slots "
        f"per worker; held: {s['held_fraction']:g} of peak for {s['held_seconds']:g} s",
        "",
        "| " + " | ".join(HEAD) + " |",
        "| " + " | ".join("---" for _ in HEAD) + " |",
    ]
    lines += ["| " + " | ".join(row(t)) + " |" for t in results["topologies"]]
    for t in results["topologies"]:
        found = [f"{k}: {v}" for k, v in problems(t).items()]
        if found:
            lines.append(f"\n**{t['topology']}**: " + "; ".join(found))
    for failure in results.get("failed", []):
        said = [ln for ln in failure["error"].splitlines() if ln.strip()] or ["?"]
        gist = said[0] if len(said) == 1 else f"{said[0]} … {said[-1]}"
        lines.append(f"\n**{failure['topology']} failed**: {gist}")
    if results.get("skipped"):
        lines.append(f"\nnot measured: {', '.join(results['skipped'])} ({results['skip_reason']})")
    lines.append(
        "\nCPU per run: by role over the whole phase (first start → last run ended), "
        "PostgreSQL = postmaster + all its children, the harness's own polling subtracted. "
        "held/unheld CPU: openpal CPU per run, held vs not held at the same arrival rate."
    )
    return "\n".join(lines)


def problems(t: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for phase in ("unheld", "open_unheld", "held"):
        p = t.get(phase)
        if p and (p["completed"] != p["runs"] or p["errors"]):
            out[phase] = f"{p['completed']}/{p['runs']} completed, errors {p['errors']}"
    held = t.get("held")
    if held and held["answered"].get("completed", 0) != held["runs"]:
        out["held answers"] = held["answered"]  # a hold that ended before its run did
    return out


def chart(results: dict[str, Any], path: Path) -> None:
    """Runs/s per topology, and CPU per run stacked by role."""
    try:
        import matplotlib  # type: ignore[import-not-found]
    except ImportError:
        raise SystemExit("the chart needs matplotlib (pip install matplotlib)") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # type: ignore[import-not-found]

    tops = results["topologies"]
    names = [t["topology"] for t in tops]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    left.bar(names, [t["unheld"]["runs_per_s"] for t in tops], color="#4477aa")
    left.set_title("runs/s (started without a hold)")
    left.set_ylabel("runs/s")
    bottom = [0.0] * len(tops)
    stack = (("api", "api", "#66ccee"), ("workers", "workers", "#228833"),
             ("serve (SQLite: API + workers)", "serve", "#aa3377"),
             ("PostgreSQL", "postgres", "#ccbb44"))  # fmt: skip
    for label, role, color in stack:
        vals = []
        for t in tops:
            cpu = t["unheld"]["cpu_ms_per_run"]
            key = "openpal" if role == "serve" and t["backend"] == "sqlite" else role
            vals.append(cpu.get(key, 0.0))
        right.bar(names, vals, bottom=bottom, color=color, label=label)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    right.set_title("CPU ms per run, by role")
    right.set_ylabel("ms")
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.tick_params(axis="x", rotation=30)
    fig.suptitle(machine_line(results["machine"]), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
