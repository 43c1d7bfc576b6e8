//! The frequency side of W-TinyLFU: a count-min sketch of 4-bit counters with a doorkeeper and
//! periodic aging, as in Einziger & Friedman's TinyLFU and Caffeine's `FrequencySketch`.
//! It answers "how often was this hash seen lately?" in a few cache lines, whatever the key set.

/// Four 4-bit counters per key (one in each of four 64-bit words picked by the hash), a
/// doorkeeper bloom filter in front, and aging: after `sample` increments every counter is
/// halved and the doorkeeper cleared, so old popularity fades.
pub struct FrequencySketch {
    table: Vec<u64>,
    mask: usize,
    doorkeeper: Vec<u64>,
    door_mask: usize,
    additions: u64,
    sample: u64,
}

const SEEDS: [u64; 4] = [0xc3a5_c85c_97cb_3127, 0xb492_b66f_be98_f273, 0x9ae1_6a3b_2f90_404f, 0xcbf2_9ce4_8422_2325];
const RESET_MASK: u64 = 0x7777_7777_7777_7777;
const ONE_MASK: u64 = 0x1111_1111_1111_1111;

/// A 64-bit mixer (the finalizer of SplitMix64): spreads Python's hash over all bits.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl FrequencySketch {
    /// A sketch sized for about `capacity` distinct hot keys.
    pub fn new(capacity: usize) -> Self {
        let words = capacity.clamp(8, 1 << 22).next_power_of_two();
        let door_words = (words / 4).max(2).next_power_of_two();
        Self {
            table: vec![0; words],
            mask: words - 1,
            doorkeeper: vec![0; door_words],
            door_mask: door_words * 64 - 1,
            additions: 0,
            sample: 10 * words as u64,
        }
    }

    /// Number of words (each holds 16 counters); the sketch covers about this many keys.
    pub fn words(&self) -> usize {
        self.table.len()
    }

    #[inline]
    fn slot(&self, hash: u64, i: usize) -> (usize, u32) {
        let h = mix(hash ^ SEEDS[i]);
        let word = (h as usize) & self.mask;
        // Counter i of the word's 16 lives in nibble group i (4 counters per group).
        let nibble = ((h >> 60) as u32 & 3) + (i as u32) * 4;
        (word, nibble * 4)
    }

    #[inline]
    fn door_bits(&self, hash: u64) -> [usize; 2] {
        let h = mix(hash ^ 0x5851_f42d_4c95_7f2d);
        [(h as usize) & self.door_mask, ((h >> 32) as usize) & self.door_mask]
    }

    fn door_contains(&self, hash: u64) -> bool {
        self.door_bits(hash).iter().all(|&b| self.doorkeeper[b >> 6] & (1 << (b & 63)) != 0)
    }

    /// The estimated recent frequency of `hash`, 0..=16.
    pub fn frequency(&self, hash: u64) -> u32 {
        let mut min = 15u32;
        for i in 0..4 {
            let (word, shift) = self.slot(hash, i);
            min = min.min(((self.table[word] >> shift) & 0xf) as u32);
        }
        min + u32::from(self.door_contains(hash))
    }

    /// Record one occurrence of `hash`. The first occurrence only sets the doorkeeper, so
    /// one-hit wonders (scans) never reach the counters.
    pub fn increment(&mut self, hash: u64) {
        let bits = self.door_bits(hash);
        let seen = bits.iter().all(|&b| self.doorkeeper[b >> 6] & (1 << (b & 63)) != 0);
        if !seen {
            for b in bits {
                self.doorkeeper[b >> 6] |= 1 << (b & 63);
            }
        } else {
            let mut added = false;
            for i in 0..4 {
                let (word, shift) = self.slot(hash, i);
                if (self.table[word] >> shift) & 0xf < 15 {
                    self.table[word] += 1 << shift;
                    added = true;
                }
            }
            if !added {
                return;
            }
        }
        self.additions += 1;
        if self.additions >= self.sample {
            self.age();
        }
    }

    /// Halve every counter and clear the doorkeeper.
    pub fn age(&mut self) {
        let mut odd = 0u64;
        for w in &mut self.table {
            odd += u64::from((*w & ONE_MASK).count_ones());
            *w = (*w >> 1) & RESET_MASK;
        }
        self.doorkeeper.iter_mut().for_each(|w| *w = 0);
        self.additions = (self.additions - odd / 4) / 2;
    }

    pub fn clear(&mut self) {
        self.table.iter_mut().for_each(|w| *w = 0);
        self.doorkeeper.iter_mut().for_each(|w| *w = 0);
        self.additions = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_grow_and_saturate() {
        let mut s = FrequencySketch::new(64);
        assert_eq!(s.frequency(42), 0);
        s.increment(42);
        assert_eq!(s.frequency(42), 1, "doorkeeper only");
        for _ in 0..40 {
            s.increment(42);
        }
        assert_eq!(s.frequency(42), 16);
    }

    #[test]
    fn aging_halves() {
        let mut s = FrequencySketch::new(64);
        for _ in 0..9 {
            s.increment(7);
        }
        let before = s.frequency(7);
        s.age();
        let after = s.frequency(7);
        assert!(after < before && after >= (before - 1) / 2 - 1, "{before} -> {after}");
    }

    #[test]
    fn ages_on_its_own() {
        let mut s = FrequencySketch::new(8);
        for k in 0..10_000u64 {
            s.increment(k % 3);
        }
        assert!(s.additions < s.sample);
        assert!(s.frequency(0) <= 16);
    }

    #[test]
    fn distinct_keys_mostly_zero() {
        let mut s = FrequencySketch::new(1024);
        for _ in 0..5 {
            s.increment(1);
        }
        let nonzero = (1000..2000u64).filter(|&k| s.frequency(k) > 1).count();
        assert!(nonzero < 20, "{nonzero}");
    }
}
