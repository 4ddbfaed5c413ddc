//! Software prefetch: asks the CPU to start loading cache lines the caller
//! will touch soon, so that the misses overlap other work (a system call,
//! other misses) instead of stalling where the lines are used.
//!
//! A prefetch has no effect on what a program computes: any address may be
//! prefetched, a bad one is ignored, and on targets without the instruction
//! it does nothing.

const LINE: usize = 64;

/// Starts loading the cache lines of `*p` into every cache level.
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    prefetch_bytes(p.cast(), std::mem::size_of::<T>());
}

/// Starts loading the cache lines of the `len` bytes from `p`.
#[inline(always)]
pub fn prefetch_bytes(p: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let first = p as usize & !(LINE - 1);
        let last = (p as usize).wrapping_add(len.max(1) - 1);
        let mut line = first;
        while line <= last {
            // SAFETY: a prefetch never faults and reads nothing into the
            // program: any address, valid or not, is allowed.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(line as *const i8) };
            line = line.wrapping_add(LINE);
            if line == 0 {
                break;
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (p, len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any address may be prefetched: null, unmapped, a range running to
    /// the top of the address space (the loop over its lines must end),
    /// and an empty one.
    #[test]
    fn prefetching_any_address_is_harmless() {
        prefetch_bytes(std::ptr::null(), 4096);
        prefetch_bytes(usize::MAX as *const u8, 1);
        prefetch_bytes((usize::MAX - 200) as *const u8, 1000);
        prefetch_bytes(std::ptr::null(), 0);
        let v = vec![7u64; 100];
        prefetch(&v[3]);
        prefetch_bytes(v.as_ptr().cast(), std::mem::size_of_val(&v[..]));
        assert_eq!(v.iter().sum::<u64>(), 700, "a prefetch changes nothing");
    }
}
