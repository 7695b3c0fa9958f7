"""Values that cross the probe boundary: a probe's outcome is data, never an exception.

A `ProbeResult` says what one poll of one centre found: whether it answered,
why not if it did not, how long it took, and the validated samples. The
scheduler gathers results, the store writes them, nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


class Reason(StrEnum):
    """Why a poll failed. Stored as text; the dashboard shows it."""

    TIMEOUT = "timeout"  # no answer within the request timeout (connect or read)
    REFUSED = "refused"  # connection refused, reset or the host unreachable
    HTTP_STATUS = "http_status"  # answered with a non-2xx status
    BAD_PAYLOAD = "bad_payload"  # answered 2xx with a body that does not parse
    TOO_LARGE = "too_large"  # body larger than the configured limit
    SKIPPED = "skipped"  # not polled: the cycle's deadline passed before its turn


# the detail of an exchange cut at its deadline (collectors/polling/http.py)
TOO_SLOW = "answer too slow"
SYSTEM_DOWN = "system_down"  # a poll that answered, in which the centre reported itself down


class Sample(NamedTuple):
    """One validated value: a metric (with its one optional label value) at a time.

    A tuple: a poll makes ~50, and a tuple costs half a frozen dataclass to make and a
    third to rebuild from the worker's message (collectors.polling.scheduler.unpack)."""

    metric: str
    value: float
    label: str = ""  # the value of the metric's label (e.g. a procedure), or ""


@dataclass(slots=True)
class ProbeResult:
    """The outcome of polling one centre once (all of its configured probes).

    `ts` is the poll's start in Unix seconds (UTC). `ok` is True when every
    probe answered and parsed; `reason`/`detail` say why not. `rejected` lists
    values the centre sent that failed validation (`field: why`), which are
    dropped while the rest are kept. `confirmed` is True when the centre had been failing
    for the whole confirmation window by this poll (collectors/polling/confirm.py).
    `rejected_more` counts rejections beyond those listed (collectors.validate.bound_rejections:
    what one centre adds to a spooled or stored cycle is bounded).
    """

    centre_id: str
    ts: float
    ok: bool
    duration_s: float
    reason: Reason | None = None
    detail: str = ""
    http_status: int | None = None
    samples: list[Sample] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    confirmed: bool = False
    rejected_more: int = 0

    @property
    def rejected_count(self) -> int:
        """Every value the centre sent that failed validation, listed or not."""
        return len(self.rejected) + self.rejected_more
