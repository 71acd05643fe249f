"""A fan-out written with the Python API (`for_each=`): `item` / `item_index` parameters,
`collect`, a retry per item, and a later step reading the whole list."""

from pathlib import Path

from openpal.workflows import Retry, Workflow

flow = Workflow("fan-python", inputs={"values": "array", "log": "string"})


@flow.step
def split(values: list) -> dict:
    return {"numbers": values}


@flow.step(
    for_each="{{ steps.split.output.numbers }}",
    max_parallel=2,
    on_item_failure="collect",
    retry=Retry(max_attempts=2, backoff_seconds=0, jitter=False),
)
def each(item: int, item_index: int, log: str) -> dict:
    """Logs `<index>` per call; a negative item fails (both attempts), 0 fails once."""
    path = Path(log)
    seen = path.read_text(encoding="utf-8").split() if path.exists() else []
    with path.open("a", encoding="utf-8") as f:
        f.write(f"{item_index}\n")
    if item < 0 or (item == 0 and str(item_index) not in seen):
        raise ValueError(f"bad item: {item}")
    return {"double": item * 2, "at": item_index}


@flow.step
def total(each: list) -> dict:
    return {"count": len(each), "failed": sum(1 for out in each if "error" in out)}
