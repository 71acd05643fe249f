"""The run state machine: every allowed transition, a sample of forbidden ones."""

import pytest

from openpal.engine.states import (
    TERMINAL,
    TRANSITIONS,
    RunStatus,
    can_transition,
    check_transition,
    sources_of,
)
from openpal.errors import InvalidTransition

S = RunStatus
ALLOWED = [
    (S.CREATED, S.PENDING),
    (S.CREATED, S.FAILED),
    (S.CREATED, S.CANCELLED),
    (S.CREATED, S.REJECTED),
    (S.PENDING, S.RUNNING),
    (S.PENDING, S.CANCELLED),
    (S.PENDING, S.REJECTED),
    (S.PENDING, S.FAILED),
    (S.RUNNING, S.FINALIZING),
    (S.RUNNING, S.WAITING),
    (S.RUNNING, S.PENDING),
    (S.RUNNING, S.FAILED),
    (S.RUNNING, S.CANCELLED),
    (S.RUNNING, S.REJECTED),
    (S.WAITING, S.RUNNING),
    (S.WAITING, S.PENDING),
    (S.WAITING, S.CANCELLED),
    (S.WAITING, S.REJECTED),
    (S.WAITING, S.FAILED),
    (S.FINALIZING, S.COMPLETED),
    (S.FINALIZING, S.FAILED),
    (S.FINALIZING, S.CANCELLED),
    (S.FINALIZING, S.REJECTED),
]


def test_the_table_is_exactly_the_allowed_list():
    table = {(src, dst) for src, dsts in TRANSITIONS.items() for dst in dsts}
    assert table == set(ALLOWED)


@pytest.mark.parametrize(("src", "dst"), ALLOWED)
def test_allowed(src, dst):
    assert can_transition(src, dst)
    assert check_transition(src, dst) is dst


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        (S.CREATED, S.RUNNING),
        (S.CREATED, S.COMPLETED),
        (S.PENDING, S.COMPLETED),
        (S.PENDING, S.FINALIZING),
        (S.PENDING, S.WAITING),
        (S.RUNNING, S.COMPLETED),
        (S.RUNNING, S.CREATED),
        (S.WAITING, S.FINALIZING),
        (S.WAITING, S.COMPLETED),
        (S.FINALIZING, S.RUNNING),
        (S.FINALIZING, S.PENDING),
    ],
)
def test_forbidden(src, dst):
    assert not can_transition(src, dst)
    with pytest.raises(InvalidTransition, match=f"from {src.value} to {dst.value}"):
        check_transition(src, dst)


@pytest.mark.parametrize("src", sorted(TERMINAL))
@pytest.mark.parametrize("dst", list(RunStatus))
def test_terminal_runs_never_change(src, dst):
    assert src.terminal
    with pytest.raises(InvalidTransition, match="terminal"):
        check_transition(src, dst)


def test_terminal_set_and_sources():
    assert {s for s in RunStatus if s.terminal} == {S.COMPLETED, S.FAILED, S.CANCELLED, S.REJECTED}
    assert sources_of(S.COMPLETED) == {S.FINALIZING}
    assert sources_of(S.RUNNING) == {S.PENDING, S.WAITING}
