"""Deploy a workflow over the API: the version is stored in the database, and every API
and worker process runs it at once (no files to copy, no restart)."""

from openpal import EigenpalClient

GREETER = """\
name: greeter
version: 1.0.0
inputs:
  - {name: name, type: string}
steps:
  - name: greet
    type: transform.template
    with: {template: "Welcome, {{ input.name }}!"}
output:
  greeting: "{{ steps.greet.output.text }}"
"""

with EigenpalClient() as client:
    # an unknown slug creates the workflow; `version=` defaults to the YAML's `version:`
    deployed = client.automations.create_version("workflows.greeter", GREETER)
    print(deployed.version, "current" if deployed.is_current else "not current")
    run = client.run("workflows.greeter", input={"name": "Ada"}, wait_for_completion=30)
    print(run.status, run.output)
    # a candidate kept off live traffic, then promoted
    candidate = client.automations.create_version(
        "workflows.greeter", GREETER.replace("Welcome", "Hello"), version="1.1.0", activate=False
    )
    client.automations.promote_version("workflows.greeter", candidate.id)
    print([(v.version, v.is_current) for v in client.automations.versions("greeter").data])
