"""Per-step detail: `client.runs.get(run_id, include="detail")`."""

from pathlib import Path

from openpal import EigenpalClient

input = {"contract_document": Path("contract.pdf")}

with EigenpalClient() as client:
    run_id = client.run("workflows.extract-invoice", input, wait_for_completion=60).run_id

    detail = client.runs.get(run_id, include="detail")
    for step in detail.steps:
        print(step.step_name, step.status, step.duration_ms, step.output)
