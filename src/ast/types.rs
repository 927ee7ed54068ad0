//! Value types of the schema: quantities in exact integer base units, and the
//! enumerations of LANGUAGE.md section 3.

use serde::Serialize;

/// A size in bytes.
pub type Bytes = u64;
/// A duration in milliseconds.
pub type Millis = u64;
/// A clock frequency in megahertz.
pub type Megahertz = u64;
/// CPU in thousandths of a core (`0.5` is 500).
pub type MilliCpu = u64;

/// A percentage in millionths of the whole (`80%` is 800,000), exact to 4 decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize)]
pub struct Percent(pub u64);

impl Percent {
    pub const WHOLE: u64 = 1_000_000;

    pub fn from_percent(percent: u64) -> Self {
        Percent(percent * (Self::WHOLE / 100))
    }

    /// `amount × self`, rounded down.
    pub fn of(self, amount: u64) -> u64 {
        (u128::from(amount) * u128::from(self.0) / u128::from(Self::WHOLE)) as u64
    }
}

impl std::fmt::Display for Percent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hundredths = self.0 / 100;
        if hundredths % 100 == 0 {
            write!(f, "{}%", hundredths / 100)
        } else {
            let text = format!("{}.{:02}", hundredths / 100, hundredths % 100);
            write!(f, "{}%", text.trim_end_matches('0'))
        }
    }
}

/// An inclusive CPU id range `first..last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CpuRange {
    pub first: u64,
    pub last: u64,
}

impl CpuRange {
    pub fn len(self) -> u64 {
        self.last - self.first + 1
    }

    pub fn is_empty(self) -> bool {
        false
    }

    pub fn overlaps(self, other: CpuRange) -> bool {
        self.first <= other.last && other.first <= self.last
    }
}

macro_rules! keyword_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            #[default]
            $($variant,)*
        }

        impl $name {
            pub const NAMES: &'static [&'static str] = &[$($text,)*];

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$variant),)*
                    _ => None,
                }
            }

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keyword_enum! {
    /// How a service is run.
    Runtime { Baremetal = "baremetal", Docker = "docker", Nomad = "nomad", }
}

keyword_enum! {
    /// Shared capabilities with exactly one provider.
    Capability {
        Consul = "consul", Vault = "vault", Nomad = "nomad", Docker = "docker",
        Cephfs = "cephfs", Caddy = "caddy", Nginx = "nginx", Authentik = "authentik",
        Boundary = "boundary", Wazuh = "wazuh",
    }
}

keyword_enum! {
    DiskKind { Ssd = "ssd", Nvme = "nvme", Hdd = "hdd", }
}

keyword_enum! {
    PortProtocol { Http = "http", Https = "https", Tcp = "tcp", Udp = "udp", }
}

keyword_enum! {
    /// The write pattern of a volume, for the disk layout rules.
    IoClass { General = "general", Fsync = "fsync", Wal = "wal", Osd = "osd", Bulk = "bulk", }
}

keyword_enum! {
    BackupHook { None = "none", PgDump = "pg_dump", }
}

keyword_enum! {
    RouteProtocol { Http = "http", Tcp = "tcp", Udp = "udp", }
}

keyword_enum! {
    Auth { None = "none", Authentik = "authentik", }
}

keyword_enum! {
    /// Which Nomad runs the jobs: NUMA-aware scheduling is Enterprise only.
    NomadEdition { Ce = "ce", Enterprise = "enterprise", }
}

keyword_enum! {
    /// The one backend a volume may name instead of a disk.
    VolumeBackend { Cephfs = "cephfs", }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_displays_and_applies_exactly() {
        assert_eq!(Percent::from_percent(80).to_string(), "80%");
        assert_eq!(Percent(755_000).to_string(), "75.5%");
        assert_eq!(Percent::from_percent(75).of(96 << 30), 72 << 30);
    }
}
