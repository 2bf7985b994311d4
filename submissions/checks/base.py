"""What a check is, what it returns, and the registry the pipeline runs.

A check knows nothing about HTTP or the database: it reads a `CheckContext` (the
submission's data, the decoded images, what earlier checks extracted) and returns a
`CheckReport` (findings, score, threshold, evidence). The pipeline records it and turns
findings into answers.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db import models

from verification.memo import Memo

from ..choices import FileKind, Step
from ..images import ImageUpload


@dataclass(frozen=True)
class Finding:
    """One thing a check found: a retry code (HTTP 200) or an error code (HTTP 400).

    Which of the two follows from the code's family (`Step1RetryCode` vs `Step1ErrorCode`).
    """

    code: models.TextChoices
    variant: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckReport:
    findings: list[Finding] = field(default_factory=list)
    score: float | None = None
    threshold: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def scored(cls, code: models.TextChoices, *, score: float, threshold: float,
               evidence: dict[str, Any]) -> "CheckReport":
        """A score held to its threshold: `code` is answered when the score is under it."""
        findings = [Finding(code)] if score < threshold else []
        return cls(findings=findings, score=score, threshold=threshold, evidence=evidence)


@dataclass
class CheckContext:
    submission: Any  # submissions.models.Submission; typed loosely to keep this module model-free
    project: Any
    step: Step
    images: dict[FileKind, ImageUpload] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    # Written by checks for later checks and for the submission (OCR fields, resolved id type).
    extracted: dict[str, Any] = field(default_factory=dict)
    # Analyses shared by several checks (decoded arrays, OCR, barcode), computed once per request.
    cache: dict[str, Any] = field(default_factory=dict)
    _memo: Memo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._memo = Memo(store=self.cache)

    def shared(self, key: str, compute: Callable[[], Any]) -> Any:
        """`cache[key]`, computed once by `compute()` even when the prefetch thread asks at the same time."""
        return self._memo.get(key, compute)


class Check:
    """Base class of a registered check.

    `codes` lists every code the check may return: the pipeline uses it to skip a check
    whose every code is switched off by the project's options, and docs list it.
    `fault_code` is the error answered when the check itself fails to run.
    """

    name: ClassVar[str]
    step: ClassVar[Step]
    codes: ClassVar[tuple[models.TextChoices, ...]]
    fault_code: ClassVar[models.TextChoices | None] = None
    # Image-analysis checks are slow (OCR, models); tests of the lifecycle run without them
    # unless marked `image_checks` (see the root conftest).
    analyses_images: ClassVar[bool] = False
    # Run order within the step (lower first; ties keep registration order). Explicit, because the
    # first error stops the pipeline and import order is not a contract (import sorters reorder).
    run_order: ClassVar[int] = 1000

    def applies(self, ctx: CheckContext) -> bool:
        return True

    def run(self, ctx: CheckContext) -> CheckReport:
        raise NotImplementedError

    # The check's prefetch is the request's longest computation (the OCR read): the prefetch thread
    # starts with it, so that everything else can be done while it runs.
    prefetch_first: ClassVar[bool] = False

    def prefetch(self, ctx: CheckContext) -> None:
        """Compute ahead of `run` the measurements it will read, through `ctx.shared` or the analysis's
        memoized properties, so that `run` finds them ready.

        Called before any check runs, on the helper thread or the request thread while the other is
        busy (see `pipeline.pipeline_prefetch`), so it must be pure: image measurements only, no
        database, no writes to `ctx` other than those memoized values, nothing that depends on what an
        earlier check decided. It computes only what `run`, or a later check, computes anyway, through
        the same memoized values: prefetching changes when, never what.
        """


def check_prefetches(check: Check) -> bool:
    return type(check).prefetch is not Check.prefetch


class MeasuredCheck(Check):
    """A check that judges one image measurement of the request (`measurement`), computed once and
    prefetched: `run` reads it through `measured(ctx)`."""

    def measurement(self, ctx: CheckContext) -> Any:
        raise NotImplementedError

    def measured(self, ctx: CheckContext) -> Any:
        return ctx.shared(f"measured.{self.name}", lambda: self.measurement(ctx))

    def prefetch(self, ctx: CheckContext) -> None:
        self.measured(ctx)


_REGISTRY: dict[Step, list[Check]] = {step: [] for step in Step}


def check_register(check_class: type[Check]) -> type[Check]:
    """Class decorator: add one instance of the check to its step's pipeline, in import order."""
    if any(existing.name == check_class.name for existing in _REGISTRY[check_class.step]):
        raise ValueError(f"check {check_class.name!r} is registered twice")
    checks = _REGISTRY[check_class.step]
    checks.append(check_class())
    checks.sort(key=lambda check: check.run_order)  # stable: ties stay in registration order
    return check_class


def check_unregister(name: str) -> None:
    for checks in _REGISTRY.values():
        checks[:] = [check for check in checks if check.name != name]


def check_list(step: Step) -> list[Check]:
    return list(_REGISTRY[step])


def check_registry() -> dict[Step, list[Check]]:
    """The live registry (for tests that swap it)."""
    return _REGISTRY
