"""Steps of the noop3 example."""


def noop(i: int) -> dict:
    return {"i": i}
