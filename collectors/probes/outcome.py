"""The values a probe works with: what a fetch got, what a parse found, what a probe reports.

Pure values, shared by every probe kind and by `collectors.polling.http` (which fills
`Fetched`), so that parsers and probes never depend on how bytes were fetched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from collectors.validate import Reading
from metrics.results import Reason


@dataclass(frozen=True, slots=True)
class Fetched:
    """One HTTP exchange: the status and body, or why there was none (`reason`)."""

    elapsed_s: float
    status: int | None = None
    body: bytes = b""
    reason: Reason | None = None
    detail: str = ""

    @property
    def retryable(self) -> bool:
        """True when trying again soon may help: refused/reset connections and 5xx answers."""
        if self.reason is Reason.REFUSED:
            return True
        return self.reason is Reason.HTTP_STATUS and self.status is not None and self.status >= 500


Fetch = Callable[[str], Fetched]  # GET url → Fetched; never raises for network errors


@dataclass(slots=True)
class Parsed:
    """What a parser found in a body: readings, rejected fields, or why the body is refused."""

    readings: list[Reading] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    error: str | None = None  # the whole body is unusable (bad_payload)


@dataclass(slots=True)
class ProbeOutcome:
    """One probe's result: readings to validate, or a failure with its reason."""

    elapsed_s: float
    readings: list[Reading] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    reason: Reason | None = None
    detail: str = ""
    http_status: int | None = None


def outcome(fetched: Fetched, parse: Callable[[bytes], Parsed] | None) -> ProbeOutcome:
    """Turn a fetch (and, when it answered 2xx, the parse of its body) into an outcome."""
    if fetched.reason is not None:
        return ProbeOutcome(
            fetched.elapsed_s,
            reason=fetched.reason,
            detail=fetched.detail,
            http_status=fetched.status,
        )
    if parse is None:
        return ProbeOutcome(fetched.elapsed_s, http_status=fetched.status)
    parsed = parse(fetched.body)
    if parsed.error is not None:
        return ProbeOutcome(
            fetched.elapsed_s,
            reason=Reason.BAD_PAYLOAD,
            detail=parsed.error,
            http_status=fetched.status,
            rejected=parsed.rejected,
        )
    return ProbeOutcome(
        fetched.elapsed_s, parsed.readings, parsed.rejected, http_status=fetched.status
    )
