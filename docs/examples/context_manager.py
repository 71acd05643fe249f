"""The client owns an httpx pool; a `with` block closes it deterministically."""

import os
from pathlib import Path

from openpal import EigenpalClient

api_key = os.environ.get("EIGENPAL_API_KEY") or os.environ["OPENPAL_API_KEY"]
input = {"contract_document": Path("contract.pdf")}

with EigenpalClient(api_key=api_key) as client:
    print(client.run("workflows.extract-invoice", input=input).run_id)
