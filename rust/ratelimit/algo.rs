//! The three algorithms as pure functions of (state, now, cost): no storage, no locking, no
//! Python. Times are nanoseconds on the limiter's clock; integer arithmetic throughout (u128
//! where products can exceed u64), so admission is exact: "10/second" admits exactly 10.
//!
//! - GCRA (generic cell rate algorithm, a token bucket stored as one timestamp): the emission
//!   interval is T = period / amount and the bucket holds `burst` (default `amount`) hits. A hit of
//!   cost c at `now` is admitted when tat' - burst*T <= now with tat' = max(tat, now) + c*T.
//!   To stay exact for periods that `amount` does not divide, times are kept in ticks of
//!   1/amount ns (T is then exactly `period_ns` ticks).
//! - Fixed window: windows [k*period, (k+1)*period) on the clock, a counter per window.
//! - Sliding window counter: the current window's count plus the previous window's count weighted
//!   by the part of it still inside the sliding period (Cloudflare's approximation, as `limits`'
//!   "sliding window counter"), compared exactly (both sides multiplied by the period).

use super::rate::Rate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Gcra,
    FixedWindow,
    SlidingWindow,
}

impl Algorithm {
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
            "gcra" | "token_bucket" => Some(Self::Gcra),
            "fixed_window" => Some(Self::FixedWindow),
            "sliding_window" | "sliding_window_counter" => Some(Self::SlidingWindow),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Gcra => "gcra",
            Self::FixedWindow => "fixed_window",
            Self::SlidingWindow => "sliding_window",
        }
    }
}

/// One configured limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub amount: u64,
    pub period_ns: u64,
    /// GCRA only: hits admitted at once from a full bucket (1..=amount scale; defaults to amount).
    pub burst: u64,
}

impl Limit {
    pub fn new(rate: Rate, burst: Option<u64>) -> Self {
        Self { amount: rate.amount, period_ns: rate.period_ns, burst: burst.unwrap_or(rate.amount) }
    }
}

/// A key's state for one limit. `Fresh` is what an absent or expired key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum State {
    #[default]
    Fresh,
    /// Theoretical arrival time, in ticks (ns * amount).
    Gcra { tat: u128 },
    Fixed { window: u64, count: u64 },
    Sliding { window: u64, prev: u64, curr: u64 },
}

/// The answer for one limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Hits still admitted right after this one (or, when refused, right now).
    pub remaining: u64,
    /// ns until the limit is entirely available again.
    pub reset_after: u64,
    /// ns until a hit of this cost would be admitted (0 when allowed; for a cost above the
    /// capacity, which is never admitted, the time until the limit is entirely available).
    pub retry_after: u64,
    /// The state to store when the hit is committed.
    pub state: State,
    /// When `state` becomes equivalent to `Fresh` (ns on the same clock): it may be dropped then.
    pub expires: u64,
}

fn ceil_div(a: u128, b: u128) -> u128 {
    a.div_ceil(b)
}

fn sat64(v: u128) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

pub fn decide(alg: Algorithm, limit: &Limit, state: State, now: u64, cost: u64) -> Decision {
    match alg {
        Algorithm::Gcra => gcra(limit, state, now, cost),
        Algorithm::FixedWindow => fixed(limit, state, now, cost),
        Algorithm::SlidingWindow => sliding(limit, state, now, cost),
    }
}

fn gcra(l: &Limit, state: State, now: u64, cost: u64) -> Decision {
    let amount = l.amount as u128;
    let t = l.period_ns as u128; // emission interval, in ticks
    let tau = l.burst as u128 * t; // bucket depth, in ticks
    let now_t = now as u128 * amount;
    let tat = match state {
        State::Gcra { tat } => tat,
        _ => now_t,
    };
    let d = tat.saturating_sub(now_t); // how far the bucket is drained, in ticks
    let nd = d + cost as u128 * t;
    if nd > tau {
        let retry = if cost as u128 * t > tau { d } else { nd - tau };
        return Decision {
            allowed: false,
            remaining: sat64((tau - d.min(tau)) / t),
            reset_after: sat64(ceil_div(d, amount)),
            retry_after: sat64(ceil_div(retry, amount)).max(1),
            state,
            expires: sat64(ceil_div(tat.max(now_t), amount)),
        };
    }
    let new_tat = now_t + nd;
    Decision {
        allowed: true,
        remaining: sat64((tau - nd) / t),
        reset_after: sat64(ceil_div(nd, amount)),
        retry_after: 0,
        state: State::Gcra { tat: new_tat },
        expires: sat64(ceil_div(new_tat, amount)),
    }
}

fn fixed(l: &Limit, state: State, now: u64, cost: u64) -> Decision {
    let p = l.period_ns;
    let window = now / p;
    let end = (window as u128 + 1) * p as u128;
    let reset = sat64(end - now as u128);
    let count = match state {
        State::Fixed { window: w, count } if w == window => count,
        _ => 0,
    };
    let after = count.saturating_add(cost);
    if after > l.amount {
        return Decision {
            allowed: false,
            remaining: l.amount - count.min(l.amount),
            reset_after: if count == 0 { 0 } else { reset },
            retry_after: reset.max(1),
            state,
            expires: if count == 0 { now } else { sat64(end) },
        };
    }
    Decision {
        allowed: true,
        remaining: l.amount - after,
        reset_after: if after == 0 { 0 } else { reset },
        retry_after: 0,
        state: State::Fixed { window, count: after },
        expires: sat64(end),
    }
}

fn sliding(l: &Limit, state: State, now: u64, cost: u64) -> Decision {
    let p = l.period_ns as u128;
    let window = now / l.period_ns;
    let elapsed = now as u128 - window as u128 * p;
    let (prev, curr) = match state {
        State::Sliding { window: w, prev, curr } if w == window => (prev, curr),
        State::Sliding { window: w, curr, .. } if w.checked_add(1) == Some(window) => (curr, 0),
        _ => (0, 0),
    };
    let (prev128, curr128, cost128, amount) = (prev as u128, curr as u128, cost as u128, l.amount as u128);
    let weighted_prev = prev128 * (p - elapsed); // previous window's weight, scaled by p
    let capacity = amount * p;
    let used = |c: u128| weighted_prev + c * p;
    let remaining_of = |c: u128| sat64(capacity.saturating_sub(used(c)) / p);
    let reset_of = |c: u128| -> u64 {
        if c > 0 {
            sat64(2 * p - elapsed)
        } else if prev > 0 {
            sat64(p - elapsed)
        } else {
            0
        }
    };
    let window_end = (window as u128 + 1) * p;
    let new_curr = curr128 + cost128;
    if used(new_curr) > capacity {
        let retry = if cost128 > amount {
            2 * p - elapsed
        } else if new_curr <= amount {
            // Wait in this window until enough of the previous window's weight has slid out:
            // prev * (p - elapsed - t) <= (amount - curr - cost) * p.
            (p - elapsed).saturating_sub(((amount - new_curr) * p).checked_div(prev128).unwrap_or(0))
        } else {
            // Only the next window helps; there the current count becomes the previous one:
            // curr * (p - e) + cost * p <= amount * p.
            let e = ((amount - cost128) * p).checked_div(curr128).map_or(0, |q| p.saturating_sub(q));
            (p - elapsed) + e
        };
        return Decision {
            allowed: false,
            remaining: remaining_of(curr128),
            reset_after: reset_of(curr128),
            retry_after: sat64(retry).max(1),
            state,
            expires: sat64(if curr > 0 { window_end + p } else { window_end }),
        };
    }
    Decision {
        allowed: true,
        remaining: remaining_of(new_curr),
        reset_after: reset_of(new_curr),
        retry_after: 0,
        state: State::Sliding { window, prev, curr: sat64(new_curr) },
        expires: sat64(if new_curr > 0 { window_end + p } else { window_end }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn lim(amount: u64, secs: u64, burst: Option<u64>) -> Limit {
        Limit::new(Rate { amount, period_ns: secs * S }, burst)
    }

    /// Hits at `now` until refused; returns how many were admitted and the last state.
    fn drain(alg: Algorithm, l: &Limit, mut st: State, now: u64) -> (u64, State, Decision) {
        let mut n = 0;
        loop {
            let d = decide(alg, l, st, now, 1);
            if !d.allowed {
                return (n, st, d);
            }
            st = d.state;
            n += 1;
        }
    }

    #[test]
    fn gcra_500_per_hour_bursts_then_one_every_7_2_s() {
        let l = lim(500, 3600, None);
        let t0 = 1000 * S;
        let (n, st, refused) = drain(Algorithm::Gcra, &l, State::Fresh, t0);
        assert_eq!(n, 500);
        assert_eq!(refused.retry_after, 7_200_000_000);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.reset_after, 3600 * S);
        // 7.2 s later exactly one more.
        let (n, _, _) = drain(Algorithm::Gcra, &l, st, t0 + 7_200_000_000);
        assert_eq!(n, 1);
        let (n, _, _) = drain(Algorithm::Gcra, &l, st, t0 + 7_199_999_999);
        assert_eq!(n, 0);
    }

    #[test]
    fn gcra_small_burst_smooths() {
        let l = lim(100, 60, Some(5));
        let (n, st, refused) = drain(Algorithm::Gcra, &l, State::Fresh, 0);
        assert_eq!(n, 5);
        assert_eq!(refused.retry_after, 600_000_000);
        assert_eq!(drain(Algorithm::Gcra, &l, st, 1_200_000_000).0, 2);
    }

    #[test]
    fn gcra_is_exact_when_the_period_does_not_divide() {
        let l = lim(3, 1, None);
        let (n, st, _) = drain(Algorithm::Gcra, &l, State::Fresh, 0);
        assert_eq!(n, 3);
        // Over 10 s with a hit attempt every ns-exact third of a second: 3 per second.
        let mut total = 0;
        let mut st = st;
        for k in 1..=30u64 {
            let now = k * S / 3 + u64::from(k % 3 != 0); // round up to the admitting ns
            let (m, s2, _) = drain(Algorithm::Gcra, &l, st, now);
            total += m;
            st = s2;
        }
        assert_eq!(total, 30);
    }

    #[test]
    fn gcra_cost_above_capacity_is_never_admitted() {
        let l = lim(10, 1, None);
        let d = decide(Algorithm::Gcra, &l, State::Fresh, 0, 11);
        assert!(!d.allowed && d.retry_after >= 1 && d.state == State::Fresh);
        let d = decide(Algorithm::Gcra, &l, State::Fresh, 0, 10);
        assert!(d.allowed && d.remaining == 0);
    }

    #[test]
    fn fixed_window_counts_per_window() {
        let l = lim(10, 60, None);
        let (n, st, refused) = drain(Algorithm::FixedWindow, &l, State::Fresh, 61 * S);
        assert_eq!(n, 10);
        assert_eq!(refused.retry_after, 59 * S);
        assert_eq!(drain(Algorithm::FixedWindow, &l, st, 119 * S).0, 0);
        assert_eq!(drain(Algorithm::FixedWindow, &l, st, 120 * S).0, 10);
    }

    #[test]
    fn sliding_window_weights_the_previous_window() {
        let l = lim(10, 60, None);
        let (n, st, _) = drain(Algorithm::SlidingWindow, &l, State::Fresh, 30 * S);
        assert_eq!(n, 10);
        // 15 s into the next window: 10 * 45/60 = 7.5 weighted, so 2 more fit.
        let (n, st2, refused) = drain(Algorithm::SlidingWindow, &l, st, 75 * S);
        assert_eq!(n, 2);
        // Next: prev*(60-e-t) <= (10-2-1)*60 with prev=10, e=15: t >= 45 - 42 = 3 s.
        assert_eq!(refused.retry_after, 3 * S);
        assert_eq!(drain(Algorithm::SlidingWindow, &l, st2, 78 * S).0, 1);
        assert_eq!(drain(Algorithm::SlidingWindow, &l, st2, 78 * S - 1).0, 0);
        // Two windows later everything has slid out.
        assert_eq!(drain(Algorithm::SlidingWindow, &l, st2, 180 * S).0, 10);
    }

    #[test]
    fn sliding_retry_after_is_when_a_hit_is_admitted() {
        // Whatever the state, waiting retry_after admits the hit and one ns less does not.
        let l = lim(7, 10, None);
        let mut st = State::Fresh;
        let mut now = 3 * S;
        for step in 0..200u64 {
            let d = decide(Algorithm::SlidingWindow, &l, st, now, 1);
            if d.allowed {
                st = d.state;
            } else {
                let later = decide(Algorithm::SlidingWindow, &l, st, now + d.retry_after, 1);
                assert!(later.allowed, "step {step}");
                let before = decide(Algorithm::SlidingWindow, &l, st, now + d.retry_after - 1, 1);
                assert!(!before.allowed, "step {step}");
            }
            now += (step * 7919 % 3000) * 1_000_000;
        }
    }

    #[test]
    fn retry_after_is_exact_for_gcra_and_fixed() {
        for alg in [Algorithm::Gcra, Algorithm::FixedWindow] {
            let l = lim(4, 10, Some(3));
            let (_, st, refused) = drain(alg, &l, State::Fresh, 5 * S);
            assert!(decide(alg, &l, st, 5 * S + refused.retry_after, 1).allowed);
            assert!(!decide(alg, &l, st, 5 * S + refused.retry_after - 1, 1).allowed);
        }
    }

    #[test]
    fn expired_state_is_equivalent_to_fresh() {
        for alg in [Algorithm::Gcra, Algorithm::FixedWindow, Algorithm::SlidingWindow] {
            let l = lim(5, 10, None);
            let (_, st, refused) = drain(alg, &l, State::Fresh, 3 * S);
            let later = refused.expires.max(decide(alg, &l, st, 3 * S, 0).expires);
            let a = decide(alg, &l, st, later, 1);
            let b = decide(alg, &l, State::Fresh, later, 1);
            assert_eq!((a.allowed, a.remaining, a.reset_after), (b.allowed, b.remaining, b.reset_after), "{alg:?}");
        }
    }
}
