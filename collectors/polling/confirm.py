"""When a centre's failure is real: the confirmation window, pure.

A failure is *confirmed* once the centre has failed every observation for at least the
window (default 4 s, longer than the few-second blips weak lines produce): an observation
that fails and starts `window_s` or more after the first failing observation of the run,
with no success in between. A success ends the run. So an outage shorter than the window
never confirms, at any poll interval: at fast intervals the regular polls confirm it, at
slow ones the re-probes this module schedules (e.g. 1 s and 4 s after the first failure)
do, and the alert is evaluated when that re-probe answers, not at the next cycle.

Observations are keyed by their start (`ProbeResult.ts`, Unix seconds), so results that
arrive out of order (a hanging re-probe overtaken by a quick regular poll) are judged by
when they were made, not when they came back. No clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from metrics.results import ProbeResult, Reason

SYSTEM_STATE, SYSTEM_DOWN = "system_state", 0.0  # the centre reports its own system down
STAMP_S = 0.001  # results are stamped to the millisecond: the window is judged to that


def failing(result: ProbeResult) -> bool:
    """Whether one poll observed the centre failing: it did not answer (a poll that never
    ran, `skipped`, observed nothing) or it answered that its own system is down."""
    if result.reason is Reason.SKIPPED:
        return False
    if not result.ok:
        return True
    return any(s.metric == SYSTEM_STATE and s.value == SYSTEM_DOWN for s in result.samples)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one observation means: `confirmed` (the run has lasted the window) and the
    re-probe times (Unix seconds) to schedule, if it started a run."""

    confirmed: bool
    reprobe_at: tuple[float, ...] = ()


@dataclass
class Confirmations:
    """Every centre's current failure run, fed observations as they complete."""

    window_s: float = 4.0
    reprobe_after_s: Sequence[float] = (1.0, 4.0)
    _since: dict[str, float] = field(default_factory=dict)  # first failing start of the run
    _last_ok: dict[str, float] = field(default_factory=dict)  # newest successful start
    _confirmed: set[str] = field(default_factory=set)  # open runs already confirmed

    def observe(self, centre_id: str, started: float, is_failing: bool) -> Verdict:
        """Record one observation of `centre_id` made at `started`; what it means."""
        if not is_failing:
            if started >= self._last_ok.get(centre_id, float("-inf")):
                self._last_ok[centre_id] = started
                if self._since.get(centre_id, float("inf")) <= started:
                    del self._since[centre_id]
                    self._confirmed.discard(centre_id)
            return Verdict(False)
        if started < self._last_ok.get(centre_id, float("-inf")):
            return Verdict(False)  # older than a success: a run that has already ended
        since = self._since.get(centre_id)
        if since is None or started < since:
            self._since[centre_id] = since = started
            plan = tuple(started + d for d in self.reprobe_after_s)
        else:
            plan = ()
        confirmed = started - since >= self.window_s - STAMP_S
        if confirmed:
            self._confirmed.add(centre_id)
        return Verdict(confirmed, plan)

    def wants_reprobe(self, centre_id: str, run_started: float) -> bool:
        """Whether a re-probe planned for the run that began at `run_started` is still
        needed: that run is still open and not yet confirmed by a later observation."""
        return (self._since.get(centre_id) == run_started
                and centre_id not in self._confirmed)

    def failing_since(self, centre_id: str) -> float | None:
        """The start of the centre's open failure run, or None."""
        return self._since.get(centre_id)
