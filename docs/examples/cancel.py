"""Cancel: immediate for pending runs, at the next checkpoint for running ones."""

from openpal import EigenpalClient

with EigenpalClient() as client:
    run_id = client.run("workflows.slow-count", {"seconds": 5}).run_id

    print(client.runs.cancel(run_id))
