"""What a rule is: metadata plus one pure function.

A rule's ``check`` reads columns of the context table (see :mod:`fitcheck.core.context`)
and the policy, and returns its verdict as an ordered list of :class:`Case`: for each
row the first case whose ``when`` holds gives the status, the message and the remedy.
Messages are templates: ``{column}`` placeholders are filled from that row. A case with
status ``None`` means "not applicable" (no finding for that row). The last case of a
rule must cover every row that is left. A rule that needs a derived value in its
messages (minutes from hours, say) computes it in ``derive``; the engine adds those
columns before calling ``check``.

A rule's ``role`` tells the policy what its findings mean, so the policy names no rule:

- ``gate``: a fail is a misfit no fix on this job removes (no GPU, not a graph, already
  compiled, an incompatible library): skip;
- ``condition``: a fail marked ``fixable`` (input-bound, dynamic shapes, fp32, Debugger on)
  is fixed first: benchmark when the job is worth it once fixed, else skip;
- ``evidence``: warn/unknown means the prior is uncertain: benchmark;
- ``value``: whether the dollars pay for the work (its pass is the reason to enable);
- ``measurement``: decides when a benchmark result exists;
- ``advisory``: reported (e.g. which price was used), never changes the decision.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from fitcheck.core.profile import Policy


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"


STATUS_CODES: dict[Status | None, int] = {
    None: -1,
    Status.PASS: 0,
    Status.WARN: 1,
    Status.UNKNOWN: 2,
    Status.FAIL: 3,
}
# Status names by code 0..3 (code -1, not applicable, has no status).
STATUS_NAMES: tuple[str, ...] = tuple(
    s.value for s in (Status.PASS, Status.WARN, Status.UNKNOWN, Status.FAIL)
)


ROLES = ("gate", "condition", "evidence", "value", "measurement", "advisory")


@dataclass(frozen=True)
class Case:
    when: np.ndarray | pd.Series | bool
    status: Status | None
    message: str = ""
    remedy: str = ""
    # a fail that a change to the job removes (the remedy says which): fixed first, not a verdict
    fixable: bool = False


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    factor: str  # the question the rule answers, for the documentation
    reads: tuple[str, ...]  # context columns it reads
    thresholds: tuple[str, ...]  # policy entries it uses
    check: Callable[[pd.DataFrame, Policy], Sequence[Case]]
    role: str = "evidence"  # see ROLES
    # Optional: extra columns (e.g. a value in other units) the messages refer to.
    derive: Callable[[pd.DataFrame, Policy], dict[str, object]] | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"rule {self.id}: role {self.role!r} is not one of {', '.join(ROLES)}")


def always(ctx: pd.DataFrame) -> np.ndarray:
    return np.ones(len(ctx), dtype=bool)
