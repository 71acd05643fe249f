"""The six fixed layouts of tests/corpus/invoices.py, as docs/extraction.md first reported them."""

from __future__ import annotations

from tests.corpus.accuracy import FIELDS, measure


async def report_legacy(seed: int, show: bool, n: int = 36) -> None:
    score, misses = await measure(n, seed)
    layouts = sorted(score)
    print(f"\n### legacy six layouts (seed {seed}): {n} documents\n")
    print("| field | " + " | ".join(layouts) + " | all |")
    print("| --- | " + " | ".join("---" for _ in layouts) + " | --- |")
    right = total = 0
    for field in FIELDS:
        cells = []
        f_right = f_all = 0
        for layout in layouts:
            r, t = score[layout][f"{field}:right"], score[layout][f"{field}:all"]
            cells.append(f"{r}/{t}")
            f_right, f_all = f_right + r, f_all + t
        right, total = right + f_right, total + f_all
        print(f"| {field} | " + " | ".join(cells) + f" | {100 * f_right / f_all:.1f} % |")
    print(f"\nfields right: {right}/{total} = {100 * right / total:.1f} %")
    if show:
        for inv, field, got in misses:
            print(f"- {inv.layout} {field}: got {got!r}, want {getattr(inv, field)!r}")
