"""Steps of the noop3 example."""


def noop(i: int) -> dict[str, int]:
    return {"i": i}
