"""List runs with the seed's filters."""

from openpal import EigenpalClient

with EigenpalClient() as client:
    executions = client.runs.list(
        type="workflow",
        source="wf_abc123",
        status=["failed", "cancelled"],  # str or list[str]
        from_date="now()-7d",  # ISO-8601 or relative expression
        to_date="now()",
        limit=50,
    )
    for run in executions.runs:
        print(run.id, run.status, run.error)
    print("next page:", executions.next_cursor)
