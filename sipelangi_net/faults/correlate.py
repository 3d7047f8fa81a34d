"""From rounds of observations to fault decisions: a pure state machine, no I/O.

Each round the monitor reports, per target of the :class:`~.topology.DependencyTree`, ``up``,
``down`` or ``degraded`` (throughput below plan). :func:`advance` folds one round into the
:class:`CorrelationState` and says, per root-cause target and kind (``down`` or ``degraded``),
whether a fault opens, is still open, or closes.

Three rules, each after a known monitor:

* **Hold-down (Zabbix trigger hysteresis).** A target's problem starts when it has been bad for
  ``down_rounds`` consecutive rounds (or ``down_seconds``), and ends only when it has been good for
  ``up_rounds`` consecutive rounds (or ``up_seconds``): the problem and recovery conditions differ,
  as a Zabbix trigger's problem and recovery expressions do.
* **Flap detection (Nagios).** The last ``flap_history`` states of a target give its percent state
  change, later changes weighted more (0.8 to 1.2, as Nagios weighs them). At or above
  ``flap_high`` the target is flapping (the history starts full of the first state seen, as
  Nagios seeds it): its problem starts (one fault) and cannot end until the
  change falls below ``flap_low`` and the target has been good for the hold-down; every good-to-bad
  change while the fault is open is counted on it (``flaps``) instead of opening another fault.
* **Parent suppression (Nagios host parents, Zabbix trigger dependencies).** A target whose
  ancestor is in problem is folded into the fault of its topmost ancestor in problem; the fault
  names the OPDs cut off behind it. A child already open when its parent's problem starts is
  folded (``fold``) into the parent's fault. While an ancestor is seen down but not yet confirmed,
  a child opens nothing. ``degraded`` is its own kind: a healthy parent does not hide it; a
  degraded ancestor takes its degraded descendants, a down ancestor takes both kinds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sipelangi_net.faults.topology import DependencyTree, Target

Status = Literal["up", "down", "degraded"]
FaultKind = Literal["down", "degraded"]
Action = Literal["open", "still_open", "close", "fold"]
KINDS: tuple[FaultKind, ...] = ("down", "degraded")


@dataclass(frozen=True, slots=True)
class CorrelationConfig:
    down_rounds: int = 3
    """Consecutive bad rounds before a problem starts."""
    up_rounds: int = 3
    """Consecutive good rounds before a problem ends."""
    down_seconds: float | None = None
    """Or: bad for this long (from the first bad round) starts it."""
    up_seconds: float | None = None
    """Or: good for this long ends it."""
    flap_history: int = 21
    """States kept for flap detection (Nagios keeps 21)."""
    flap_high: float = 20.0
    """Percent state change at or above which a target is flapping (Nagios' default)."""
    flap_low: float = 5.0
    """Percent state change below which it stops flapping (Nagios' default)."""

    def __post_init__(self) -> None:
        if self.down_rounds < 1 or self.up_rounds < 1 or self.flap_history < 3:
            raise ValueError("down_rounds and up_rounds must be at least 1, flap_history at least 3")
        if not 0 <= self.flap_low <= self.flap_high <= 100:
            raise ValueError("flap thresholds must satisfy 0 <= flap_low <= flap_high <= 100")


@dataclass(frozen=True, slots=True)
class Observation:
    target: Target
    status: Status


@dataclass(frozen=True, slots=True)
class Round:
    at: datetime
    observations: tuple[Observation, ...]


@dataclass(frozen=True, slots=True)
class Track:
    """One target's hysteresis for one kind."""

    history: tuple[bool, ...] = ()
    """Latest states, oldest first (``True``: bad)."""
    bad_rounds: int = 0
    good_rounds: int = 0
    since: datetime | None = None
    """When the current run of bad (or good) rounds began."""
    flapping: bool = False
    problem: bool = False
    flaps: int = 0
    """Good-to-bad changes since the problem started."""

    @property
    def bad(self) -> bool:
        return bool(self.history) and self.history[-1]


@dataclass(frozen=True, slots=True)
class Fault:
    target: Target
    kind: FaultKind
    opened_at: datetime
    opds: tuple[str, ...]
    """The OPDs cut off (or degraded) behind the target."""
    folded: tuple[Target, ...] = ()
    """Targets in problem behind it whose faults it stands for."""
    flaps: int = 0
    flapping: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    fault: Fault
    at: datetime
    into: tuple[Target, FaultKind] | None = None
    """``fold``: the fault (target and kind) that now stands for this one."""

    @property
    def repair_seconds(self) -> float | None:
        """``close``: the time from the fault's opening to its recovery."""
        return (self.at - self.fault.opened_at).total_seconds() if self.action == "close" else None


@dataclass(frozen=True, slots=True)
class CorrelationState:
    tracks: Mapping[tuple[Target, FaultKind], Track] = field(default_factory=dict)
    faults: Mapping[tuple[Target, FaultKind], Fault] = field(default_factory=dict)
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RoundResult:
    state: CorrelationState
    decisions: tuple[Decision, ...]


def flap_percent(history: tuple[bool, ...]) -> float:
    """Nagios' weighted percent state change over ``history`` (oldest first)."""
    changes = len(history) - 1
    if changes < 1:
        return 0.0
    total = 0.0
    for i in range(changes):
        weight = 0.8 + 0.4 * i / (changes - 1) if changes > 1 else 1.0
        if history[i] != history[i + 1]:
            total += weight
    return 100.0 * total / changes


def _held(rounds: int, need: int, since: datetime | None, at: datetime, seconds: float | None) -> bool:
    if rounds >= need:
        return True
    return seconds is not None and since is not None and (at - since).total_seconds() >= seconds


def step_track(track: Track, bad: bool, at: datetime, config: CorrelationConfig) -> Track:
    """One observation through one target's hysteresis and flap detection."""
    changed = bool(track.history) and track.bad != bad
    seed = track.history or (bad,) * config.flap_history  # Nagios seeds the history with the first state
    history = (*seed, bad)[-config.flap_history :]
    since = at if changed or not track.history else track.since
    bad_rounds = track.bad_rounds + 1 if bad else 0
    good_rounds = 0 if bad else track.good_rounds + 1
    change = flap_percent(history)
    flapping = change >= config.flap_high or (track.flapping and change >= config.flap_low)
    problem = track.problem
    if not problem:
        problem = flapping or (bad and _held(bad_rounds, config.down_rounds, since, at, config.down_seconds))
    elif not bad and not flapping:
        problem = not _held(good_rounds, config.up_rounds, since, at, config.up_seconds)
    flaps = 0 if not problem else track.flaps + (1 if changed and bad and track.problem else 0)
    return Track(history, bad_rounds, good_rounds, since, flapping, problem, flaps)


def _observe(
    state: CorrelationState, rnd: Round, tree: DependencyTree, config: CorrelationConfig
) -> dict[tuple[Target, FaultKind], Track]:
    tracks = dict(state.tracks)
    for obs in rnd.observations:
        if obs.target not in tree.nodes:
            raise ValueError(f"observation of {obs.target}: not a target of the dependency tree")
        down = obs.status == "down"
        tracks[(obs.target, "down")] = step_track(
            tracks.get((obs.target, "down"), Track()), down, rnd.at, config
        )
        if not down:  # a target that does not answer says nothing about its throughput
            key: tuple[Target, FaultKind] = (obs.target, "degraded")
            tracks[key] = step_track(tracks.get(key, Track()), obs.status == "degraded", rnd.at, config)
    return tracks


@dataclass(frozen=True, slots=True)
class _Cause:
    """Where a target in problem belongs this round."""

    root: tuple[Target, FaultKind] | None
    """The fault that stands for it (itself when it is the root cause); ``None``: waiting."""


def _place(
    target: Target, kind: FaultKind, tree: DependencyTree, tracks: Mapping[tuple[Target, FaultKind], Track]
) -> _Cause:
    ancestors = tree.ancestors(target)
    for wanted in ("down", kind) if kind == "degraded" else ("down",):
        # a degraded target that is itself down is folded into its own down fault
        path = (target, *ancestors) if kind != wanted else ancestors
        over = [a for a in path if _problem(tracks, a, wanted)]
        if over:
            return _Cause((over[-1], wanted))
    if any(tracks.get((a, "down"), Track()).bad for a in ancestors):
        return _Cause(None)
    return _Cause((target, kind))


def _problem(tracks: Mapping[tuple[Target, FaultKind], Track], target: Target, kind: FaultKind) -> bool:
    track = tracks.get((target, kind))
    return track is not None and track.problem


def advance(
    state: CorrelationState, rnd: Round, *, tree: DependencyTree, config: CorrelationConfig | None = None
) -> RoundResult:
    """Fold one round of observations into ``state``: the new state and this round's decisions."""
    config = config or CorrelationConfig()
    if state.at is not None and rnd.at < state.at:
        raise ValueError(f"round at {rnd.at.isoformat()} is older than the last one ({state.at.isoformat()})")
    tracks = _observe(state, rnd, tree, config)
    roots: dict[tuple[Target, FaultKind], list[Target]] = {}
    waiting: set[tuple[Target, FaultKind]] = set()
    folded_into: dict[tuple[Target, FaultKind], tuple[Target, FaultKind]] = {}
    for (target, kind), track in sorted(tracks.items()):
        if not track.problem:
            continue
        cause = _place(target, kind, tree, tracks)
        if cause.root is None:
            waiting.add((target, kind))
        elif cause.root == (target, kind):
            roots.setdefault((target, kind), [])
        else:
            roots.setdefault(cause.root, []).append(target)
            folded_into[(target, kind)] = cause.root
    faults, decisions = _decide(
        old=state.faults,
        roots=roots,
        waiting=waiting,
        folded_into=folded_into,
        tracks=tracks,
        tree=tree,
        at=rnd.at,
    )
    return RoundResult(CorrelationState(tracks, faults, rnd.at), tuple(decisions))


def _decide(
    *,
    old: Mapping[tuple[Target, FaultKind], Fault],
    roots: Mapping[tuple[Target, FaultKind], list[Target]],
    waiting: set[tuple[Target, FaultKind]],
    folded_into: Mapping[tuple[Target, FaultKind], tuple[Target, FaultKind]],
    tracks: Mapping[tuple[Target, FaultKind], Track],
    tree: DependencyTree,
    at: datetime,
) -> tuple[dict[tuple[Target, FaultKind], Fault], list[Decision]]:
    faults: dict[tuple[Target, FaultKind], Fault] = {}
    decisions: list[Decision] = []
    for key, fault in old.items():
        if key in roots or key in waiting:
            continue
        if key in folded_into:
            decisions.append(Decision("fold", fault, at, into=folded_into[key]))
        else:
            decisions.append(Decision("close", fault, at))
    for key in sorted(waiting):
        if key in old:
            faults[key] = old[key]
            decisions.append(Decision("still_open", old[key], at))
    for key, behind in sorted(roots.items()):
        track = tracks[key]
        previous = old.get(key)
        fault = Fault(
            target=key[0],
            kind=key[1],
            opened_at=previous.opened_at if previous else at,
            opds=tree.opds_behind(key[0]),
            folded=tuple(sorted(behind)),
            flaps=track.flaps,
            flapping=track.flapping,
        )
        faults[key] = fault
        decisions.append(Decision("still_open" if previous else "open", fault, at))
    return faults, decisions


def run(
    rounds: Iterable[Round], *, tree: DependencyTree, config: CorrelationConfig | None = None
) -> tuple[CorrelationState, tuple[Decision, ...]]:
    """Every round in turn from an empty state: the last state and all decisions."""
    state = CorrelationState()
    decisions: list[Decision] = []
    for rnd in rounds:
        result = advance(state, rnd, tree=tree, config=config)
        state = result.state
        decisions.extend(result.decisions)
    return state, tuple(decisions)


__all__ = [
    "KINDS",
    "CorrelationConfig",
    "CorrelationState",
    "Decision",
    "Fault",
    "Observation",
    "Round",
    "RoundResult",
    "Track",
    "advance",
    "flap_percent",
    "run",
    "step_track",
]
