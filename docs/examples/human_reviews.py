"""A run waiting at a `control.approval` step is a review task: list, approve, reject."""

import time

from openpal import EigenpalClient

EXPENSE = """\
name: expense
version: 1.0.0
inputs:
  - {name: amount, type: number}
steps:
  - name: manager
    type: control.approval
    with: {message: "Approve {{ input.amount }}?"}
  - name: book
    type: transform.set
    with: {amount: "{{ input.amount }}", approved: "{{ steps.manager.output.approved }}"}
output: "{{ steps.book.output }}"
"""

with EigenpalClient() as client:
    client.automations.create_version("workflows.expense", EXPENSE)
    small = client.run("workflows.expense", input={"amount": 120})
    large = client.run("workflows.expense", input={"amount": 99_000})
    for run in (small, large):
        while client.runs.get(run.run_id).status != "waiting":
            time.sleep(0.1)

    for task in client.human_reviews.list(automation_id="expense", limit=50):
        if task.run_id == small.run_id:
            print(task.step_name, task.status, "→", client.human_reviews.approve(task.id).status)
        elif task.run_id == large.run_id:
            print(
                task.step_name,
                task.status,
                "→",
                client.human_reviews.reject(task.id, "too much").status,
            )

    while not (done := client.runs.get(small.run_id)).terminal:
        time.sleep(0.1)
    print(done.status, done.output)
    print(client.runs.get(large.run_id).error)
