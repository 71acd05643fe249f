"""The DBOS side of the peer benchmark, run by an interpreter that has `dbos` installed
(its dependencies live apart from openpal's): a workflow of three no-op steps on
DBOS's SQLite system database. Prints one JSON object.

    python bench/peers/dbos_app.py <latency runs> <throughput runs> <folder>
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version

from dbos import DBOS, DBOSConfig
from peer_summary import summary  # next to this script


@DBOS.step()
def noop(i: int) -> dict:
    return {"i": i}


@DBOS.workflow()
def noop3(i: int) -> dict:
    return noop(noop(noop(i)["i"])["i"])


def main() -> None:
    n_latency, n_throughput, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    config: DBOSConfig = {
        "name": "openpal-bench",
        "system_database_url": f"sqlite:///{folder}/dbos.sqlite",
    }
    DBOS(config=config)
    DBOS.launch()
    for i in range(20):
        DBOS.start_workflow(noop3, i).get_result()
    times = []
    for i in range(n_latency):
        t0 = time.perf_counter()
        assert DBOS.start_workflow(noop3, i).get_result() == {"i": i}
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(64) as pool:
        results = list(pool.map(lambda i: DBOS.start_workflow(noop3, i).get_result(),
                                range(n_throughput)))  # fmt: skip
    elapsed = time.perf_counter() - t0
    assert results == [{"i": i} for i in range(n_throughput)]
    print(
        json.dumps(
            summary(
                f"dbos {version('dbos')} (sqlite, in-process)", times, n_throughput, 64, elapsed
            )
        )
    )
    DBOS.destroy()


if __name__ == "__main__":
    main()
