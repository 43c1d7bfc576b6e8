//! Rate-limit state in Redis: one `EVALSHA` per hit. The Lua script reads Redis's own clock
//! (`TIME`), so every process and machine shares one exact count whatever their clocks say, and
//! it decides and writes all of a key's limits atomically (nothing is consumed when one refuses).
//!
//! Layout: one string per (key, limit), `{<prefix>:<key>}:<alg>:<amount>:<period seconds>`, so the
//! limits of one key share a Cluster hash slot; values are `"<tat µs> <fraction>"` (GCRA),
//! `"<window> <count>"` (fixed) or `"<window> <prev> <curr>"` (sliding), each with a `PX` expiry at
//! the moment the state becomes equivalent to an absent key.
//!
//! Precision: Lua numbers are doubles. GCRA keeps time in ticks of 1/amount µs relative to now,
//! exact while `amount * period` (in µs) stays below 2^53 (for example 100,000 per day).

use std::sync::LazyLock;

use crate::store::redis::{RedisPool, Script};
use crate::store::StoreError;

use super::algo::{Algorithm, Limit};
use super::PerLimit;

pub const SCRIPT_SOURCE: &str = r#"
-- Redis 3.2-4.x: replicate the writes, not the script (it reads TIME). A no-op from Redis 5 on.
if redis.replicate_commands then redis.replicate_commands() end
local now
if ARGV[4] ~= '' then
  now = tonumber(ARGV[4])  -- tests only: a given time instead of the server's
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local alg = ARGV[1]
local cost = tonumber(ARGV[2])
local commit = ARGV[3] == '1'
local floor, ceil, max, min = math.floor, math.ceil, math.max, math.min
local function fmt(x) return string.format('%.0f', x) end

-- Each returns: allowed, remaining, reset_after_us, retry_after_us, new value, ttl_us
local function gcra(v, amount, period, burst, c)
  local d = 0
  if v then
    local tu, fr = string.match(v, '^(%d+) (%d+)$')
    if tu then d = max(0, (tonumber(tu) - now) * amount + tonumber(fr)) end
  end
  local tau = burst * period
  local nd = d + c * period
  if nd > tau then
    local retry = nd - tau
    if c * period > tau then retry = d end
    return false, floor((tau - min(d, tau)) / period), ceil(d / amount), max(1, ceil(retry / amount))
  end
  local whole = floor(nd / amount)
  return true, floor((tau - nd) / period), ceil(nd / amount), 0,
    fmt(now + whole) .. ' ' .. fmt(nd - whole * amount), ceil(nd / amount)
end

local function fixed(v, amount, period, c)
  local w = floor(now / period)
  local reset = (w + 1) * period - now
  local count = 0
  if v then
    local vw, vc = string.match(v, '^(%d+) (%d+)$')
    if vw and tonumber(vw) == w then count = tonumber(vc) end
  end
  local after = count + c
  if after > amount then
    if count == 0 then return false, amount, 0, max(1, reset) end
    return false, amount - min(count, amount), reset, max(1, reset)
  end
  local r = reset
  if after == 0 then r = 0 end
  return true, amount - after, r, 0, fmt(w) .. ' ' .. fmt(after), reset
end

local function sliding(v, amount, period, c)
  local w = floor(now / period)
  local e = now - w * period
  local prev, curr = 0, 0
  if v then
    local vw, vp, vc = string.match(v, '^(%d+) (%d+) (%d+)$')
    if vw then
      vw = tonumber(vw)
      if vw == w then prev, curr = tonumber(vp), tonumber(vc)
      elseif vw + 1 == w then prev = tonumber(vc) end
    end
  end
  local wp = prev * (period - e)
  local cap = amount * period
  local function remaining(x) return floor(max(0, cap - wp - x * period) / period) end
  local function reset(x)
    if x > 0 then return 2 * period - e elseif prev > 0 then return period - e else return 0 end
  end
  local nc = curr + c
  if wp + nc * period > cap then
    local retry
    if c > amount then retry = 2 * period - e
    elseif nc <= amount then retry = (period - e) - floor((amount - nc) * period / prev)
    else
      local e2 = 0
      if curr > 0 then e2 = max(0, period - floor((amount - c) * period / curr)) end
      retry = (period - e) + e2
    end
    return false, remaining(curr), reset(curr), max(1, retry)
  end
  local ttl = period - e
  if nc > 0 then ttl = ttl + period end
  return true, remaining(nc), reset(nc), 0, fmt(w) .. ' ' .. fmt(prev) .. ' ' .. fmt(nc), ttl
end

local function decide(v, i, c)
  local amount = tonumber(ARGV[2 + i * 3])
  local period = tonumber(ARGV[3 + i * 3])
  if alg == 'g' then return gcra(v, amount, period, tonumber(ARGV[4 + i * 3]), c)
  elseif alg == 'f' then return fixed(v, amount, period, c)
  else return sliding(v, amount, period, c) end
end

local out = {1}
local writes = {}
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  local ok, rem, rst, retry, nv, ttl = decide(v, i, cost)
  if not ok then out[1] = 0 end
  if not commit then
    local _, r0, s0 = decide(v, i, 0)
    rem, rst = r0, s0
  end
  out[#out + 1] = rem
  out[#out + 1] = rst
  out[#out + 1] = retry
  writes[i] = {nv, ttl}
end
if commit and out[1] == 1 then
  for i = 1, #KEYS do
    local w = writes[i]
    if w[1] then redis.call('SET', KEYS[i], w[1], 'PX', max(1, ceil(w[2] / 1000))) end
  end
end
return out
"#;

static SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(SCRIPT_SOURCE));

/// The Redis keys of one user key, one per limit.
pub fn redis_keys(prefix: &str, key: &str, alg: Algorithm, limits: &[Limit]) -> Vec<Vec<u8>> {
    let tag = match alg {
        Algorithm::Gcra => "g",
        Algorithm::FixedWindow => "f",
        Algorithm::SlidingWindow => "s",
    };
    limits
        .iter()
        .map(|l| format!("{{{prefix}:{key}}}:{tag}:{}:{}", l.amount, l.period_ns / 1_000_000_000).into_bytes())
        .collect()
}

/// One hit (or peek when `commit` is false) on Redis: the script's per-limit answers. `now_us`
/// replaces the server's clock (tests only: it lets them compare the script with the Rust
/// algorithms at chosen times).
pub fn hit(
    pool: &RedisPool,
    keys: &[Vec<u8>],
    alg: Algorithm,
    limits: &[Limit],
    cost: u64,
    commit: bool,
    now_us: Option<u64>,
) -> Result<(bool, Vec<PerLimit>), StoreError> {
    let tag = match alg {
        Algorithm::Gcra => "g",
        Algorithm::FixedWindow => "f",
        Algorithm::SlidingWindow => "s",
    };
    let reply: Vec<i64> = pool.run(|con| {
        let mut inv = SCRIPT.prepare_invoke();
        for k in keys {
            inv.key(k.as_slice());
        }
        inv.arg(tag).arg(cost).arg(if commit { "1" } else { "0" });
        match now_us {
            Some(t) => inv.arg(t),
            None => inv.arg(""),
        };
        for l in limits {
            inv.arg(l.amount).arg(l.period_ns / 1000).arg(l.burst);
        }
        inv.invoke(con)
    })?;
    if reply.len() != 1 + 3 * limits.len() {
        return Err(StoreError::Server(format!("unexpected rate-limit script reply of {} items", reply.len())));
    }
    let us = |v: i64| (v.max(0) as u64).saturating_mul(1000);
    let per = reply[1..]
        .chunks_exact(3)
        .map(|c| PerLimit { allowed: true, remaining: c[0].max(0) as u64, reset_after: us(c[1]), retry_after: us(c[2]) })
        .collect::<Vec<_>>();
    let allowed = reply[0] == 1;
    let per = per.into_iter().map(|p| PerLimit { allowed: p.retry_after == 0, ..p }).collect();
    Ok((allowed, per))
}

/// Deletes a key's state for every limit; true when something was deleted.
pub fn reset(pool: &RedisPool, keys: &[Vec<u8>]) -> Result<bool, StoreError> {
    let n: i64 = pool.run(|con| {
        let mut cmd = ::redis::cmd("DEL");
        for k in keys {
            cmd.arg(k.as_slice());
        }
        cmd.query(con)
    })?;
    Ok(n > 0)
}
