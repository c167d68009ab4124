"""The curriculum: stages of item types in order, shuffled within a stage, optionally gated by reward.

RewardMap makes one ordered pass (all true/false, then counting 2/3, counting 1, planning). Here each
stage is a pass over its items in an order that is a pure function of (seed, stage, pass), so the
position -- (stage, pass, cursor), plus the recent rewards for the gate -- is all a checkpoint stores.
A stage with ``min_reward`` is passed over again (reshuffled) until the mean normalised reward of its
last ``gate_window`` steps reaches the threshold, or ``max_passes`` is used up. After the last stage the
curriculum starts again from the first (another round); stages with no items are skipped.

Example:
    >>> from mapkit.train.config import Stage
    >>> c = Curriculum([{"type": "TorF1"}, {"type": "planning"}, {"type": "TorF1"}],
    ...                [Stage("tf", ("TorF1",)), Stage("plan", ("planning",))], seed=0)
    >>> [i for i, _ in c.take(4)]
    [0, 2, 1, 2]
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from mapkit.train.config import Stage

from mapkit.errors import ConfigError

__all__ = ["Curriculum"]


class Curriculum:
    """Hands out item indices stage by stage; :meth:`state` / :meth:`load_state` for checkpoints."""

    def __init__(self, items: Sequence[Mapping[str, Any]], stages: Sequence[Stage], *, seed: int, gate_window: int = 8):
        self.stages = list(stages)
        self.seed = seed
        self.gate_window = gate_window
        where = {}
        for si, st in enumerate(self.stages):
            for t in st.types:
                where.setdefault(t, si)
        self.members: list[list[int]] = [[] for _ in self.stages]
        unplaced: set[str] = set()
        for i, it in enumerate(items):
            t = str(it.get("type", ""))
            if t in where:
                self.members[where[t]].append(i)
            else:
                unplaced.add(t)
        if unplaced:
            raise ConfigError(
                f"No curriculum stage takes item type(s) {', '.join(sorted(unplaced))}.",
                hint="Add them to a stage's types in the config, or drop them with --types.",
            )
        if not any(self.members):
            raise ConfigError("The curriculum has no items to hand out.")
        self.round = 0
        self.stage = 0
        self.pass_ = 0
        self.cursor = 0
        self.recent: list[float] = []  # normalised mean reward of the stage's last steps
        self._skip_empty()

    # -- position --------------------------------------------------------------------------------

    @property
    def stage_name(self) -> str:
        return self.stages[self.stage].name

    def _order(self) -> list[int]:
        order = list(self.members[self.stage])
        random.Random(f"{self.seed}:{self.round}:{self.stage}:{self.pass_}").shuffle(order)
        return order

    def _skip_empty(self) -> None:
        while not self.members[self.stage]:
            self._next_stage()

    def _next_stage(self) -> None:
        self.stage += 1
        self.pass_ = 0
        self.cursor = 0
        self.recent = []
        if self.stage == len(self.stages):
            self.stage = 0
            self.round += 1

    def _end_of_pass(self) -> None:
        st = self.stages[self.stage]
        gated = st.min_reward is not None and self.pass_ + 1 < st.max_passes
        window = self.recent[-self.gate_window :]
        if gated and (not window or sum(window) / len(window) < st.min_reward):
            self.pass_ += 1
            self.cursor = 0
            return
        self._next_stage()
        self._skip_empty()

    def take(self, n: int) -> list[tuple[int, str]]:
        """The next ``n`` item indices with the stage each came from (a batch may straddle two stages)."""
        out: list[tuple[int, str]] = []
        order = self._order()
        while len(out) < n:
            if self.cursor >= len(order):
                self._end_of_pass()
                order = self._order()
                continue
            out.append((order[self.cursor], self.stage_name))
            self.cursor += 1
        return out

    def record(self, normalised_reward: float) -> None:
        """The step's mean reward / max reward, for the gate of the current stage."""
        self.recent.append(float(normalised_reward))
        del self.recent[: -self.gate_window]

    # -- checkpoints -----------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {"round": self.round, "stage": self.stage, "pass": self.pass_, "cursor": self.cursor,
                "recent": list(self.recent)}  # fmt: skip

    def load_state(self, s: Mapping[str, Any]) -> None:
        self.round, self.stage, self.pass_, self.cursor = (
            int(s["round"]),
            int(s["stage"]),
            int(s["pass"]),
            int(s["cursor"]),
        )
        self.recent = [float(x) for x in s["recent"]]
