//! Spec quantities in Nomad's units: CPU in MHz (or whole cores), memory in MB
//! (Nomad's MB are MiB), durations as Go duration strings.

/// The clock Nomad assumes for a host without `cpu_mhz` (the schema default).
pub(crate) const DEFAULT_CPU_MHZ: u64 = 2000;
/// Nomad refuses tasks with less memory than this (`minimum MemoryMB value is 10`).
pub(crate) const MIN_MEMORY_MB: u64 = 10;

/// `cpu` (thousandths of a core) on clients of `clock_mhz`, in MHz, rounded up
/// and at least 1 (Nomad's minimum).
pub(crate) fn cpu_mhz(milli_cpu: u64, clock_mhz: u64) -> u64 {
    let mhz = (u128::from(milli_cpu) * u128::from(clock_mhz)).div_ceil(1000);
    u64::try_from(mhz).unwrap_or(u64::MAX).max(1)
}

/// Whole cores for `cores = N` (NUMA-pinned tasks): `cpu` rounded up.
pub(crate) fn whole_cores(milli_cpu: u64) -> u64 {
    milli_cpu.div_ceil(1000).max(1)
}

/// Bytes in Nomad's memory unit (MiB), rounded up: a reservation never
/// shrinks below what the spec asked for.
pub(crate) fn memory_mb(bytes: u64) -> u64 {
    bytes.div_ceil(1 << 20)
}

/// The clock used to turn cores into MHz for a job that may run on clients
/// with these clocks: the slowest one. Nomad then never reserves more than
/// the cores the budget check counted, on any candidate.
pub(crate) fn reference_clock(clocks: impl IntoIterator<Item = u64>) -> u64 {
    clocks.into_iter().min().unwrap_or(DEFAULT_CPU_MHZ)
}

/// Milliseconds as a Go duration string: `10s`, `5m`, `2h`, `1500ms`.
pub(crate) fn duration(ms: u64) -> String {
    if ms % 1000 != 0 {
        return format!("{ms}ms");
    }
    let seconds = ms / 1000;
    if seconds != 0 && seconds % 3600 == 0 {
        format!("{}h", seconds / 3600)
    } else if seconds != 0 && seconds % 60 == 0 {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_in_mhz_rounds_up() {
        assert_eq!(cpu_mhz(1000, 2100), 2100);
        assert_eq!(cpu_mhz(500, 2800), 1400);
        assert_eq!(cpu_mhz(4000, 2800), 11_200);
        assert_eq!(cpu_mhz(1, 2000), 2);
        assert_eq!(cpu_mhz(333, 1000), 333);
        assert_eq!(cpu_mhz(1, 1), 1);
        assert_eq!(cpu_mhz(u64::MAX, u64::MAX), u64::MAX);
    }

    #[test]
    fn cores_and_memory_round_up() {
        assert_eq!(whole_cores(4000), 4);
        assert_eq!(whole_cores(500), 1);
        assert_eq!(whole_cores(1500), 2);
        assert_eq!(memory_mb(1 << 30), 1024);
        assert_eq!(memory_mb(16 << 30), 16_384);
        assert_eq!(memory_mb(1_000_000_000), 954);
        assert_eq!(memory_mb(1), 1);
    }

    #[test]
    fn slowest_clock_wins() {
        assert_eq!(reference_clock([2800, 2100, 2800]), 2100);
        assert_eq!(reference_clock([]), DEFAULT_CPU_MHZ);
    }

    #[test]
    fn durations_use_the_largest_exact_unit() {
        assert_eq!(duration(10_000), "10s");
        assert_eq!(duration(2_000), "2s");
        assert_eq!(duration(300_000), "5m");
        assert_eq!(duration(90_000), "90s");
        assert_eq!(duration(7_200_000), "2h");
        assert_eq!(duration(86_400_000), "24h");
        assert_eq!(duration(1_500), "1500ms");
        assert_eq!(duration(0), "0s");
    }
}
