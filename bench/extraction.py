"""Field-level accuracy of the bundled `extract-invoice` workflow on the generated corpus.

    python -m bench.extraction [--n 36] [--seed 7] [--show-misses]

Writes the corpus (tests/corpus/invoices.py: several layouts, known answers), runs
the workflow's steps on each PDF in-process, and compares field by field: text
fields exactly, numbers to the cent, line items as whole rows.
"""

from __future__ import annotations

import argparse
import asyncio

from tests.corpus.accuracy import FIELDS, measure


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=36)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--show-misses", action="store_true")
    a = p.parse_args()
    score, misses = asyncio.run(measure(a.n, a.seed))
    layouts = sorted(score)
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
    if a.show_misses:
        for inv, field, got in misses:
            print(f"- {inv.layout} {field}: got {got!r}, want {getattr(inv, field)!r}")


if __name__ == "__main__":
    main()
