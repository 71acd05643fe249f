"""A step's kept lines are bounded however it writes them."""

from openpal.worker.step_logs import MAX_CHARS, StepLog


def test_a_flood_of_empty_lines_is_bounded_too():
    log = StepLog()
    for _ in range(3 * MAX_CHARS):
        log.write("stdout", "\n")
    kept = log.result()
    assert kept is not None
    assert len(kept) <= MAX_CHARS + 1  # every line counts its break; one note of the cut
    assert "earlier line(s) not kept" in kept[0]["text"]
