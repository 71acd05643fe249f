"""Upload a file once, then start runs on it with `{"$fileId": …}` (large files go up in
chunks when the server offers it)."""

from pathlib import Path

from openpal import EigenpalClient

with EigenpalClient() as client:
    uploaded = client.files.upload(Path("contract.pdf"))
    print(uploaded.id, uploaded.filename, uploaded.content_type)
    run = client.run(
        "workflows.extract-invoice",
        input={"contract_document": {"$fileId": uploaded.id}},
        wait_for_completion=30,
    )
    print(run.status, run.output)
    assert client.files.download(uploaded.id) == Path("contract.pdf").read_bytes()
    client.files.delete(uploaded.id)
