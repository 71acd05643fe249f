"""Get a run: `RunEnvelope(run=...)`; `result` is set when the run completed."""

from pathlib import Path

from openpal import EigenpalClient

input = {"contract_document": Path("contract.pdf")}

with EigenpalClient() as client:
    run_id = client.run("workflows.extract-invoice", input, wait_for_completion=60).run_id

    run = client.runs.get(run_id)
    #   RunEnvelope(run=...)
    print(run.status, run.result, run.error)
