"""`/v1/files`: upload negotiation (`multipart` in one request, `http-chunked` beyond
one request's limit), upload, read, download and delete files, and the chunked sessions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute

from openpal.api.context import JSON, tenant_of
from openpal.api.declare import Doc, Param, route
from openpal.engine.dates import iso
from openpal.errors import InvalidInput, Issue, PayloadTooLarge
from openpal.files import FileRef
from openpal.service.files import FileService, check_name, check_purpose
from openpal.store.file_records import FileRecord, UploadRecord
from openpal.web.bodies import parse_json, read_bounded
from openpal.web.form_stream import FormStream

MAX_NEGOTIATION_BODY = 64 * 1024
DEFAULT_TYPE = "application/octet-stream"


def _files(request: Request) -> FileService:
    svc: FileService = request.app.state.files
    return svc


def file_body(f: FileRecord) -> dict[str, Any]:
    """`File` (a `purpose` only when the file has one)."""
    body: dict[str, Any] = {
        "id": f.id,
        "filename": f.filename,
        "contentType": f.content_type,
        "size": f.size,
        "createdAt": iso(f.created_at),
    }
    if f.purpose is not None:
        body["purpose"] = f.purpose
    return body


def _urls(u: UploadRecord) -> tuple[str, str]:
    base = f"/v1/files/uploads/{u.id}"
    return f"{base}/chunks", f"{base}/complete"


def chunked_session_body(u: UploadRecord, max_file_bytes: int) -> dict[str, Any]:
    """`HttpChunkedFileUploadSession`: the answer to a negotiation past one request."""
    chunks_url, complete_url = _urls(u)
    return {
        "transport": "http-chunked",
        "uploadId": u.id,
        "fileId": u.file_id,
        "chunkSizeBytes": u.chunk_size,
        "chunkCount": u.chunk_count,
        "chunksUrl": chunks_url,
        "completeUrl": complete_url,
        "expiresAt": iso(u.expires_at),
        "maxFileSizeBytes": max_file_bytes,
    }


def session_body(u: UploadRecord, expired: bool) -> dict[str, Any]:
    """`FileUploadSession`: status pending | completed | aborted | expired."""
    return {
        "uploadId": u.id,
        "fileId": u.file_id,
        "transport": "http-chunked",
        "status": "expired" if expired else u.status,
        "expiresAt": iso(u.expires_at),
        "chunkSizeBytes": u.chunk_size,
        "chunkCount": u.chunk_count,
    }


def _checked(issues: list[Issue], check: Any, *args: Any) -> Any:
    try:
        return check(*args)
    except InvalidInput as exc:
        issues.extend(exc.issues)
        return None


def _size(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


async def create_upload(request: Request) -> Response:
    raw = await read_bounded(request, MAX_NEGOTIATION_BODY)
    data = parse_json(raw, "<body>") if raw.strip() else None
    if not isinstance(data, dict):
        raise InvalidInput(
            [Issue("<body>", "send a JSON object {filename, contentType, size}", "invalid_body")]
        )
    issues: list[Issue] = []
    filename = _checked(issues, check_name, data.get("filename"), "filename")
    ctype = _checked(issues, check_name, data.get("contentType"), "contentType", "a content type")
    size = _size(data.get("size"))
    if size is None:
        issues.append(Issue("size", "must be the file's size in bytes (an integer ≥ 0)"))
    purpose = _checked(issues, check_purpose, data.get("purpose"))
    key = data.get("idempotencyKey")
    if key is not None and not (isinstance(key, str) and 1 <= len(key) <= 255):
        issues.append(Issue("idempotencyKey", "must be a string of 1 to 255 characters"))
    if issues or size is None:
        raise InvalidInput(issues)
    svc = _files(request)
    upload = await svc.negotiate(
        tenant_of(request),
        filename=filename,
        content_type=ctype,
        size=size,
        purpose=purpose,
        idempotency_key=key,
    )
    if upload is None:
        return JSON(
            {"transport": "multipart", "url": "/v1/files", "maxFileSizeBytes": svc.max_upload_bytes}
        )
    return JSON(chunked_session_body(upload, svc.max_file_bytes))


async def create_file(request: Request) -> Response:
    svc = _files(request)
    form = FormStream(request)
    content: FileRef | None = None
    filename = ctype = ""
    purpose: str | None = None
    while (part := await form.next_part()) is not None:
        if part.name == "file":
            if part.filename is None:
                raise InvalidInput([Issue("file", "must be a file part (with a filename)")])
            if content is not None:
                raise InvalidInput([Issue("file", "send one file per request")])
            filename = check_name(part.filename, "file.filename")
            ctype = check_name(part.content_type or DEFAULT_TYPE, "file.contentType", "a type")
            try:
                content = await svc.store_content(
                    form.data(), filename=filename, content_type=ctype
                )
            except PayloadTooLarge as exc:
                raise PayloadTooLarge(
                    exc.message, issues=[Issue("file", exc.message, "payload_too_large")]
                ) from None
        elif part.name == "purpose":
            purpose = check_purpose(await form.text("purpose") or None)
        else:
            raise InvalidInput(
                [Issue(part.name, "unknown part: send `file` and optionally `purpose`")]
            )
    if content is None:
        raise InvalidInput([Issue("file", "Required: a file part named `file`", "required")])
    record = await svc.add(
        tenant_of(request), content, filename=filename, content_type=ctype, purpose=purpose
    )
    return JSON(file_body(record))


async def get_file(request: Request) -> Response:
    found = await _files(request).get(tenant_of(request), request.path_params["file_id"])
    return JSON(file_body(found))


async def get_file_content(request: Request) -> Response:
    found, path = await _files(request).open_content(
        tenant_of(request), request.path_params["file_id"]
    )
    return FileResponse(
        path,
        media_type=found.content_type,
        filename=found.filename,
        headers={"cache-control": "private, max-age=31536000, immutable"},
    )


async def delete_file(request: Request) -> Response:
    await _files(request).delete(tenant_of(request), request.path_params["file_id"])
    return JSON({"deleted": True})


async def get_upload(request: Request) -> Response:
    svc = _files(request)
    upload = await svc.get_upload(tenant_of(request), request.path_params["upload_id"])
    return JSON(session_body(upload, svc.is_expired(upload)))


async def abort_upload(request: Request) -> Response:
    aborted = await _files(request).abort_upload(
        tenant_of(request), request.path_params["upload_id"]
    )
    return JSON({"aborted": aborted})


async def put_chunk(request: Request) -> Response:
    raw = request.path_params["chunk_index"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise InvalidInput([Issue("chunkIndex", f"must be a chunk number (0, 1, …), got {raw!r}")])
    chunk = await _files(request).put_chunk(
        tenant_of(request), request.path_params["upload_id"], int(raw), request.stream()
    )
    return JSON({"accepted": True, "chunkIndex": chunk.index, "size": chunk.size})


async def complete_upload(request: Request) -> Response:
    done = await _files(request).complete_upload(
        tenant_of(request), request.path_params["upload_id"]
    )
    return JSON(file_body(done))


_NEGOTIATION = {
    "oneOf": [
        {"$ref": "#/components/schemas/MultipartFileUploadFallback"},
        {"$ref": "#/components/schemas/HttpChunkedFileUploadSession"},
    ]
}
_CHUNK_DOC = (
    "The raw bytes of chunk `chunk_index` (application/octet-stream): exactly"
    " `chunkSizeBytes`, the last chunk the rest. A chunk sent again replaces the earlier one."
)

routes: list[BaseRoute] = [
    route(
        "POST",
        "/v1/files/uploads",
        create_upload,
        Doc(
            "Negotiate how to upload a file",
            "files",
            body="json",
            body_schema="CreateFileUploadSessionRequest",
            response=_NEGOTIATION,
            errors=(400, 401, 409, 413),
            description="A file up to one request's limit (`maxFileSizeBytes`) goes in one"
            " multipart request to `url`; a bigger one (up to OPENPAL_MAX_FILE_BYTES) in"
            " `http-chunked` chunks, then `completeUrl`. The same `idempotencyKey` for the same"
            " file answers the same pending session.",
        ),
    ),
    route(
        "GET",
        "/v1/files/uploads/{upload_id}",
        get_upload,
        Doc("Read an upload session", "files", response="FileUploadSession", errors=(401, 404)),
    ),
    route(
        "DELETE",
        "/v1/files/uploads/{upload_id}",
        abort_upload,
        Doc(
            "Abort an upload session",
            "files",
            response="AbortFileUploadResponse",
            errors=(401, 404),
            description="`aborted: false` when the session had already completed or ended.",
        ),
    ),
    route(
        "PUT",
        "/v1/files/uploads/{upload_id}/chunks/{chunk_index}",
        put_chunk,
        Doc(
            "Send one chunk of an http-chunked upload",
            "files",
            body="raw",
            response="AcceptHttpChunkedUploadChunkResponse",
            errors=(400, 401, 404, 409, 413),
            description=_CHUNK_DOC,
            path=(
                Param(
                    "chunk_index",
                    "0-based index of the chunk",
                    "integer",
                    where="path",
                    minimum=0,
                    maximum=999_999_999,
                ),
            ),
        ),
    ),
    route(
        "POST",
        "/v1/files/uploads/{upload_id}/complete",
        complete_upload,
        Doc(
            "Join the chunks into the file",
            "files",
            response="File",
            errors=(401, 404, 409),
            body_required=False,
            description="Every chunk must have arrived (409 lists the missing ones). Completing"
            " again answers the same file.",
        ),
    ),
    route(
        "POST",
        "/v1/files",
        create_file,
        Doc(
            "Upload a file in one request",
            "files",
            body="multipart",
            body_schema="CreateFileMultipartRequest",
            response="File",
            errors=(400, 401, 413),
            description="Streamed into the blob store; past OPENPAL_MAX_UPLOAD_BYTES the answer"
            " is 413 (negotiate an http-chunked upload for bigger files). A `purpose` marks a"
            " temporary file, kept a day at most.",
        ),
    ),
    route(
        "GET",
        "/v1/files/{file_id}",
        get_file,
        Doc("Read a file's metadata", "files", response="File", errors=(401, 404)),
    ),
    route(
        "GET",
        "/v1/files/{file_id}/content",
        get_file_content,
        Doc(
            "Download a file",
            "files",
            content_type="application/octet-stream",
            errors=(401, 404),
            description="The bytes, with the Content-Type the file was uploaded with.",
        ),
    ),
    route(
        "DELETE",
        "/v1/files/{file_id}",
        delete_file,
        Doc(
            "Delete a file",
            "files",
            response="DeleteFileResponse",
            errors=(401, 404),
            description="Runs that used the file keep their copy.",
        ),
    ),
]
