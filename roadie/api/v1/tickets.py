from datetime import datetime
from typing import Literal

from django.conf import settings
from django.http import FileResponse, HttpRequest
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from roadie.accounts.models import User
from roadie.api.v1.common import viewer
from roadie.api.v1.sla import TicketSla
from roadie.core import clock
from roadie.core.errors import PermissionDenied
from roadie.customers.errors import UnknownReference
from roadie.customers.models import Deployment, Module, Organization
from roadie.tickets import selectors, services, sla
from roadie.tickets.attachments import check_upload
from roadie.tickets.errors import AttachmentTooLarge, InvalidTicket
from roadie.tickets.models import Attachment, Comment, Ticket

router = Router(tags=["tickets"])

SeverityName = Literal["urgent", "important", "general"]
KindName = Literal["incident", "defect", "change_request", "question", "security"]
StatusName = Literal["new", "open", "waiting", "resolved", "closed"]


class TicketIn(Schema):
    title: str = Field(max_length=200)
    description: str = Field("", max_length=100_000)
    severity: SeverityName
    kind: KindName = "incident"
    organization: str | None = None
    module: str | None = None
    deployment: int | None = None


class TicketPatch(Schema):
    status: StatusName | None = None
    severity: SeverityName | None = None
    kind: KindName | None = None
    assignee: str | None = None
    tags: list[str] | None = None


class TicketOut(Schema):
    number: str
    title: str
    description: str
    severity: str
    kind: str
    status: str
    organization: str
    module: str | None
    deployment: int | None
    requester: str
    assignee: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    sla: TicketSla | None

    @staticmethod
    def resolve_sla(obj: Ticket) -> dict[str, object] | None:
        status = sla.status(obj, now=clock.now())
        return vars(status) if status is not None else None

    @staticmethod
    def resolve_organization(obj: Ticket) -> str:
        return obj.organization.slug

    @staticmethod
    def resolve_module(obj: Ticket) -> str | None:
        return obj.module.slug if obj.module else None

    @staticmethod
    def resolve_deployment(obj: Ticket) -> int | None:
        return obj.deployment_id

    @staticmethod
    def resolve_requester(obj: Ticket) -> str:
        return obj.requester.email

    @staticmethod
    def resolve_assignee(obj: Ticket) -> str | None:
        return obj.assignee.email if obj.assignee else None

    @staticmethod
    def resolve_tags(obj: Ticket) -> list[str]:
        return [tag.name for tag in obj.tags.all()]


class TicketList(Schema):
    items: list[TicketOut]
    next: str | None


class CommentIn(Schema):
    body: str = Field(max_length=100_000)
    public: bool = True


class CommentOut(Schema):
    id: int
    author: str
    body: str
    public: bool
    source: str
    created_at: datetime

    @staticmethod
    def resolve_author(obj: Comment) -> str:
        return obj.author.email


class CommentList(Schema):
    items: list[CommentOut]
    next: str | None = None


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
    url: str

    @staticmethod
    def resolve_url(obj: Attachment) -> str:
        return f"/api/v1/tickets/RD-{obj.ticket_id}/attachments/{obj.pk}"


class AttachmentList(Schema):
    items: list[AttachmentOut]
    next: str | None = None


def _get(request: HttpRequest, number: str) -> Ticket:
    return selectors.ticket_get(viewer=viewer(request), number=number)


def _resolve_refs(
    user: User, payload: TicketIn
) -> tuple[Organization | None, Module | None, Deployment | None]:
    organization = None
    if user.is_customer:
        if payload.organization and payload.organization != user.organization.slug:
            raise InvalidTicket(
                "Customers file tickets for their own organization only.", field="organization"
            )
        organization = user.organization
    elif payload.organization:
        organization = Organization.objects.filter(slug=payload.organization).first()
        if organization is None:
            raise UnknownReference(
                f"Unknown organization {payload.organization!r}.", field="organization"
            )
    deployment = None
    if payload.deployment is not None:
        deployment = Deployment.objects.filter(
            pk=payload.deployment, organization=organization
        ).first()
        if deployment is None:
            raise UnknownReference("Unknown deployment.", field="deployment")
    module = None
    if payload.module:
        modules = Module.objects.filter(slug=payload.module)
        if deployment is not None:
            modules = modules.filter(product=deployment.product)
        module = modules.first()
        if module is None:
            raise UnknownReference(f"Unknown module {payload.module!r}.", field="module")
    return organization, module, deployment


@router.post("/tickets", response={201: TicketOut})
def create_ticket(request: HttpRequest, payload: TicketIn) -> Status:
    user = viewer(request)
    organization, module, deployment = _resolve_refs(user, payload)
    ticket = services.ticket_create(
        by=user,
        title=payload.title,
        description=payload.description,
        severity=payload.severity,
        kind=payload.kind,
        organization=organization,
        module=module,
        deployment=deployment,
        source=Comment.Source.API,
    )
    # The service's instance carries everything TicketOut reads; reading it back costs a join.
    return Status(201, ticket)


@router.get("/tickets", response=TicketList)
def list_tickets(
    request: HttpRequest,
    status: StatusName | None = None,
    severity: SeverityName | None = None,
    kind: KindName | None = None,
    organization: str = "",
    assignee: str = "",
    q: str = "",
    queue: Literal["all", "open", "mine", "unassigned", "closed"] = "all",
    sort: Literal["severity", "newest", "oldest"] = "newest",
    cursor: str = "",
    limit: int = 50,
) -> dict[str, object]:
    filters = selectors.QueueFilters(
        queue=queue,
        status=status or "",
        severity=severity or "",
        kind=kind or "",
        organization=organization,
        assignee=assignee,
        q=q,
    )
    page = selectors.ticket_queue(
        viewer=viewer(request), filters=filters, sort=sort, cursor=cursor, limit=limit
    )
    return {"items": page.items, "next": page.next_cursor}


@router.get("/tickets/{number}", response=TicketOut)
def get_ticket(request: HttpRequest, number: str) -> Ticket:
    return _get(request, number)


@router.patch("/tickets/{number}", response=TicketOut)
def update_ticket(request: HttpRequest, number: str, payload: TicketPatch) -> Ticket:
    user = viewer(request)
    ticket = _get(request, number)
    changed = payload.model_fields_set
    if user.is_customer:
        allowed = {"status"}
        if changed - allowed or payload.status not in (None, "closed", "open"):
            raise PermissionDenied("Customers can only close or reopen their tickets.")
        if payload.status == "closed":
            services.ticket_close(ticket=ticket, by=user)
        elif payload.status == "open" and ticket.status != "open":
            services.ticket_reopen(ticket=ticket, by=user)
        return _get(request, number)
    if "assignee" in changed:
        assignee = None
        if payload.assignee:
            assignee = User.objects.filter(email=payload.assignee.lower()).first()
            if assignee is None:
                raise UnknownReference(f"Unknown user {payload.assignee!r}.", field="assignee")
        services.ticket_assign(ticket=ticket, assignee=assignee, by=user)
    if payload.severity is not None:
        services.ticket_change_severity(ticket=ticket, severity=payload.severity, by=user)
    if payload.kind is not None:
        services.ticket_change_kind(ticket=ticket, kind=payload.kind, by=user)
    if payload.tags is not None:
        services.ticket_set_tags(ticket=ticket, names=payload.tags, by=user)
    if payload.status is not None:
        services.ticket_change_status(ticket=ticket, status=payload.status, by=user)
    return _get(request, number)


@router.post("/tickets/{number}/comments", response={201: CommentOut})
def create_comment(request: HttpRequest, number: str, payload: CommentIn) -> Status:
    ticket = _get(request, number)
    comment = services.ticket_comment(
        ticket=ticket,
        by=viewer(request),
        body=payload.body,
        public=payload.public,
        source=Comment.Source.API,
    )
    return Status(201, comment)


@router.get("/tickets/{number}/comments", response=CommentList)
def list_comments(request: HttpRequest, number: str) -> dict[str, object]:
    ticket = _get(request, number)
    return {
        "items": list(selectors.comments_visible(ticket=ticket, viewer=viewer(request))),
        "next": None,
    }


@router.post("/tickets/{number}/attachments", response={201: AttachmentList})
def upload_attachments(request: HttpRequest, number: str, file: File[list[UploadedFile]]) -> Status:
    ticket = _get(request, number)
    uploads = []
    for upload in file:
        if upload.size and upload.size > request_limit():
            raise AttachmentTooLarge(f"{upload.name} is larger than the limit.", field="file")
        uploads.append(
            check_upload(
                name=upload.name or "",
                declared_type=upload.content_type or "",
                data=upload.read(request_limit() + 1),
            )
        )
    stored = services.ticket_attach(ticket=ticket, by=viewer(request), uploads=uploads)
    return Status(201, {"items": stored, "next": None})


@router.get("/tickets/{number}/attachments", response=AttachmentList)
def list_attachments(request: HttpRequest, number: str) -> dict[str, object]:
    ticket = _get(request, number)
    return {
        "items": list(selectors.attachments_visible(ticket=ticket, viewer=viewer(request))),
        "next": None,
    }


@router.get("/tickets/{number}/attachments/{attachment_id}")
def download_attachment(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    ticket = _get(request, number)
    attachment = selectors.attachment_get(viewer=viewer(request), attachment_id=attachment_id)
    if attachment.ticket_id != ticket.pk:
        raise Attachment.DoesNotExist
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def request_limit() -> int:
    return int(settings.ROADIE_MAX_UPLOAD_BYTES)
