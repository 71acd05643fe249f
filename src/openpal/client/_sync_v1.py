"""`EigenpalClient`'s `/v1` resources: `automations`, `files`, `human_reviews`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpal.client import _v1 as v1
from openpal.client._core import Call
from openpal.client._models import Page
from openpal.client._models_v1 import (
    Automation,
    AutomationVersion,
    File,
    ReviewTask,
    ReviewTaskPage,
)

if TYPE_CHECKING:
    from openpal.client._sync import EigenpalClient


class Automations:
    """`client.automations`: workflows as automations, and deploying their versions."""

    def __init__(self, client: EigenpalClient) -> None:
        self._c = client

    def list(
        self, *, search: str | None = None, limit: int | None = None, offset: int | None = None
    ) -> Page[Automation]:
        """A page of automations; `search` matches slug, name or description."""
        return v1.parse_automation_page(self._c._send(v1.list_automations(search, limit, offset)))

    def get(self, automation_id: str) -> Automation:
        """By `wf_…` id, `workflows.<slug>` or slug; with its input and output schemas."""
        return Automation.from_wire(self._c._send(Call("GET", v1.automation_path(automation_id))))

    def versions(self, automation_id: str) -> Page[AutomationVersion]:
        """Its versions, newest first; `is_current` marks the one new runs start on."""
        call = Call("GET", v1.automation_path(automation_id, "/versions"))
        return v1.parse_version_page(self._c._send(call))

    def create_version(
        self,
        automation_id: str,
        yaml: str | Path,
        *,
        version: str | None = None,
        activate: bool = True,
    ) -> AutomationVersion:
        """Store a new version from YAML text (or a `Path` to the file) in the server's
        database, for every API and worker process. `version` labels it (default: the
        YAML's `version:`); `activate=False` keeps it off new runs until
        `promote_version`. YAML that does not load is an `EigenpalValidationError`
        naming the line and field."""
        call = v1.create_version(automation_id, yaml, version, activate)
        return AutomationVersion.from_wire(self._c._send(call))

    def promote_version(self, automation_id: str, version_id: str) -> AutomationVersion:
        """Make a stored version the current one: new runs start on it."""
        call = v1.promote_version(automation_id, version_id)
        return AutomationVersion.from_wire(self._c._send(call))


class Files:
    """`client.files`: upload once, then pass `{"$fileId": file.id}` as a run input."""

    def __init__(self, client: EigenpalClient) -> None:
        self._c = client

    def upload(
        self,
        path_or_file: v1.UploadSource,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        purpose: str | None = "run-input",
    ) -> File:
        """Upload a path, a seekable binary file, or bytes (then `filename` is needed).
        Large files go in chunks when the server offers it. `purpose="run-input"` marks
        a file for a run's input (retention deletes it after a day); `None` keeps it as a
        reusable file."""
        flow = v1.upload(path_or_file, filename, content_type, purpose)
        try:
            call = next(flow)
            while True:
                call = flow.send(self._c._send(call))
        except StopIteration as done:
            result: File = done.value
            return result
        finally:
            flow.close()

    def get(self, file_id: str) -> File:
        return File.from_wire(self._c._send(Call("GET", v1.file_path(file_id))))

    def download(self, file_id: str) -> bytes:
        """The file's bytes."""
        content: bytes = self._c._send(v1.download(file_id))
        return content

    def delete(self, file_id: str) -> bool:
        """Delete the file (runs that already read it keep their copy); True when it was."""
        return v1.parse_deleted(self._c._send(Call("DELETE", v1.file_path(file_id))))


class HumanReviews:
    """`client.human_reviews`: runs waiting at an approval step, to approve or reject."""

    def __init__(self, client: EigenpalClient) -> None:
        self._c = client

    def list(
        self,
        *,
        automation_id: str | None = None,
        waiting_before: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> ReviewTaskPage:
        """Pending tasks, oldest first; pass the page's `next_cursor` as `cursor`."""
        call = v1.list_reviews(automation_id, waiting_before, limit, cursor)
        return v1.parse_review_page(self._c._send(call))

    def get(self, task_id: str) -> ReviewTask:
        return v1.parse_task(self._c._send(Call("GET", v1.review_path(task_id))))

    def approve(
        self, task_id: str, *, expected_version: int | None = None, output: Any = None
    ) -> ReviewTask:
        """The run continues; `output` (JSON) becomes the approval step's output.
        With `expected_version`, a task that changed meanwhile is a 409."""
        return v1.parse_task(self._c._send(v1.approve(task_id, expected_version, output)))

    def reject(
        self,
        task_id: str,
        reason: str | None = None,
        *,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> ReviewTask:
        """The run ends `rejected`, its error naming `reason`."""
        call = v1.reject(task_id, reason, expected_version, idempotency_key)
        return v1.parse_task(self._c._send(call))
