"""0-60 s: `client.run(..., wait_for_completion=60)`, the server holds the request."""

from pathlib import Path

from openpal import EigenpalClient

input = {"contract_document": Path("contract.pdf")}

with EigenpalClient() as client:
    result = client.run("workflows.extract-invoice", input, wait_for_completion=60)
    print(result.status, result.output)
