"""Run and wait: trigger, then wait until the run ends (EigenpalTimeoutError on timeout)."""

from pathlib import Path

from openpal import EigenpalClient

with EigenpalClient() as client:
    final = client.workflows.executions.run_and_wait(
        "extract-invoice",
        input={"contract_document": Path("contract.pdf")},
        poll_interval_seconds=2.0,  # default 2.0
        timeout_seconds=5 * 60.0,  # default 300.0
    )
    print(final["status"], final["output"])
