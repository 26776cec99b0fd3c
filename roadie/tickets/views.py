from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest

from roadie.tickets.models import Attachment
from roadie.tickets.selectors import attachment_get


@login_required
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    try:
        attachment = attachment_get(viewer=request.user, attachment_id=attachment_id)
    except Attachment.DoesNotExist:
        raise Http404
    inline = attachment.is_image or attachment.content_type == "application/pdf"
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not inline,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
