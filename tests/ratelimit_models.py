"""Exact reference models of the three rate-limit algorithms (Fractions, no rounding), used to
check the Rust engine and the Redis Lua script on generated hit schedules."""

from __future__ import annotations

import math
from fractions import Fraction



class RefGCRA:
    def __init__(self, amount: int, period: int, burst: int) -> None:
        self.t = Fraction(period, amount)
        self.tau = burst * self.t
        self.tat: dict[str, Fraction] = {}

    def hit(self, key: str, now: Fraction, cost: int) -> bool:
        tat = max(self.tat.get(key, now), now)
        new = tat + cost * self.t
        if new - self.tau > now:
            return False
        self.tat[key] = new
        return True


class RefFixed:
    def __init__(self, amount: int, period: int) -> None:
        self.amount, self.period = amount, period
        self.state: dict[str, tuple[int, int]] = {}

    def hit(self, key: str, now: Fraction, cost: int) -> bool:
        w = math.floor(now / self.period)
        sw, count = self.state.get(key, (w, 0))
        if sw != w:
            count = 0
        if count + cost > self.amount:
            return False
        self.state[key] = (w, count + cost)
        return True


class RefSliding:
    def __init__(self, amount: int, period: int) -> None:
        self.amount, self.period = amount, period
        self.state: dict[str, tuple[int, int, int]] = {}

    def hit(self, key: str, now: Fraction, cost: int) -> bool:
        w = math.floor(now / self.period)
        sw, prev, curr = self.state.get(key, (w, 0, 0))
        if sw == w - 1:
            prev, curr = curr, 0
        elif sw != w:
            prev, curr = 0, 0
        elapsed = now - w * self.period
        if prev * (1 - elapsed / self.period) + curr + cost > self.amount:
            return False
        self.state[key] = (w, prev, curr + cost)
        return True


def reference(algorithm: str, amount: int, period: int, burst: int | None) -> RefGCRA | RefFixed | RefSliding:
    if algorithm == "gcra":
        return RefGCRA(amount, period, burst or amount)
    if algorithm == "fixed_window":
        return RefFixed(amount, period)
    return RefSliding(amount, period)
