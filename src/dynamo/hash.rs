//! The one stable hash of the project: FNV-1a, 64 bits, for checksums,
//! checkpoint file names and deterministic streams of generated values.
//! Unlike `std::hash::DefaultHasher`, whose output Rust may change between
//! releases, its values never change, so a checkpoint or a ledger checksum
//! written by one build is found by the next. It detects edits; it is not a
//! security check.

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// A running FNV-1a hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(OFFSET)
    }
}

impl Fnv64 {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds bytes.
    pub fn write(&mut self, bytes: &[u8]) -> &mut Self {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(PRIME);
        }
        self
    }

    pub fn finish(&self) -> u64 {
        self.0
    }

    /// 16 hex digits.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

/// The hash of `bytes`.
pub fn fnv64(bytes: &[u8]) -> u64 {
    Fnv64::new().write(bytes).finish()
}

/// The hash of `bytes` as 16 hex digits.
pub fn fnv64_hex(bytes: &[u8]) -> String {
    Fnv64::new().write(bytes).hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_the_published_fnv_1a_values_and_never_change() {
        // Test vectors of FNV-1a 64 (draft-eastlake-fnv).
        assert_eq!(fnv64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv64(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(fnv64_hex(b"foobar"), "85944171f73967e8");
        let mut h = Fnv64::new();
        h.write(b"foo").write(b"bar");
        assert_eq!(h.finish(), fnv64(b"foobar"));
    }
}
