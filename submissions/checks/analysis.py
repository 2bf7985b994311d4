"""The one `DocumentAnalysis` of a Step 1 request, shared by every document check."""

from django.conf import settings
from django.utils import timezone

from verification.analysis import DocumentAnalysis

from ..choices import FileKind
from .base import CheckContext

CACHE_KEY = "document"


def step1_analysis(ctx: CheckContext) -> DocumentAnalysis:
    """The document analysis of this request, created on first use and kept in `ctx.cache`."""
    return ctx.shared(CACHE_KEY, lambda: _analysis_create(ctx))


def _analysis_create(ctx: CheckContext) -> DocumentAnalysis:
    front = ctx.images[FileKind.ID_FRONT]
    back = ctx.images.get(FileKind.ID_BACK)
    return DocumentAnalysis(
        front=front.image,
        front_bytes=front.data,
        back=back.image if back is not None else None,
        back_bytes=back.data if back is not None else None,
        requested_id_type=ctx.submission.id_type or ctx.submission.requested_id_type,
        country=ctx.submission.issuing_country,
        max_side=settings.KYC_ANALYSIS_MAX_SIDE,
        today=timezone.localdate(),
    )
