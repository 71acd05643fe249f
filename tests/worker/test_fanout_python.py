"""A fan-out declared with the Python API (`@wf.step(for_each=...)`) runs end to end
in-process on SQLite and PostgreSQL as its YAML twin does (tests/workflows_fanout/fan_python.py)."""

from __future__ import annotations

from openpal.engine.states import RunStatus
from tests.worker.test_fanout import _calls, harness  # noqa: F401 (the fixture)


async def test_a_python_for_each_step_runs_once_per_item(harness, tmp_path):  # noqa: F811
    log = tmp_path / "py.log"
    run, steps = await harness.run("workflows.fan-python", {"values": [3, -1, 0, 5],
                                                            "log": str(log)})  # fmt: skip
    assert run.status == RunStatus.COMPLETED, run.error
    each = steps[1]
    assert (each.name, each.status) == ("each", "completed")
    assert each.output == [
        {"double": 6, "at": 0},
        {"error": "ValueError: bad item: -1", "item_index": 1},
        {"double": 0, "at": 2},  # failed once, passed on its retry
        {"double": 10, "at": 3},
    ]
    assert sorted(_calls(log)) == [0, 1, 1, 2, 2, 3]  # items 1 and 2 tried twice
    assert run.output == {"count": 4, "failed": 1}
    kept = await harness.store.list_items(run.id, 1)
    assert [(i.item_index, i.status, i.attempts) for i in kept] == [
        (0, "completed", 1),
        (1, "failed", 2),
        (2, "completed", 2),
        (3, "completed", 1),
    ]
