"""The manual polling pattern, for driving a UI progress bar."""

import time
from pathlib import Path

from openpal import EigenpalClient

input = {"contract_document": Path("contract.pdf")}

with EigenpalClient() as client:
    TERMINAL = {"completed", "failed", "cancelled", "rejected"}

    triggered = client.run("workflows.extract-invoice", input=input)
    status = None
    while True:
        status = client.runs.get(triggered.run_id)
        if status.status in TERMINAL:
            break
        time.sleep(2)

    print(status.status, status.output, status.error)
