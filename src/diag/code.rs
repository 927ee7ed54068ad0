//! The registry of diagnostic codes: severity, a one-line title, and the long
//! explanation printed by `eosc explain` (one markdown file per code).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Advice,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Advice => "advice",
        }
    }
}

macro_rules! codes {
    ($($code:ident, $severity:ident, $title:literal;)*) => {
        /// Every diagnostic code of LANGUAGE.md section 6.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($code,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$code,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$code => stringify!($code),)*
                }
            }

            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$code => Severity::$severity,)*
                }
            }

            /// A short description of what the code is about.
            pub fn title(self) -> &'static str {
                match self {
                    $(Code::$code => $title,)*
                }
            }

            /// The long explanation (markdown) of `eosc explain`.
            pub fn explanation(self) -> &'static str {
                match self {
                    $(Code::$code => include_str!(concat!("explain/", stringify!($code), ".md")),)*
                }
            }
        }
    };
}

codes! {
    E0001, Error, "syntax error";
    E0002, Error, "input over limits";
    E0101, Error, "unknown block kind";
    E0102, Error, "unknown attribute";
    E0103, Error, "wrong type or unknown enum value";
    E0104, Error, "missing required attribute or block";
    E0105, Error, "duplicate name";
    E0106, Error, "duplicate attribute";
    E0107, Error, "invalid value";
    E0108, Error, "no stack block, more than one, or one outside the root file";
    E0109, Error, "block or value not allowed where it stands";
    E0201, Error, "unknown reference";
    E0202, Error, "dependency cycle";
    E0203, Error, "capability used but nobody provides it";
    E0204, Error, "bootstrap inversion";
    E0205, Error, "two providers of one capability";
    W0206, Warning, "core provider not on bare metal";
    E0301, Error, "host memory over budget";
    W0301, Warning, "service larger than a NUMA node, unpinned";
    E0302, Error, "host CPUs over-reserved";
    E0303, Error, "NUMA node over budget";
    E0304, Error, "NUMA node does not exist on a host";
    E0305, Error, "disk over budget";
    E0306, Error, "nomad allocations do not fit on any client";
    W0307, Warning, "write-heavy io classes share a disk";
    E0308, Error, "osd volume shares its disk";
    W0309, Warning, "fsync/wal volume on hdd";
    E0310, Error, "CephFS volumes exceed CephFS capacity";
    W0311, Warning, "Vault volume on a disk without encryption";
    W0312, Warning, "NUMA pinning of a nomad job needs Nomad Enterprise";
    E0401, Error, "duplicate http route";
    E0402, Error, "tcp/udp listen port used twice or reserved";
    E0403, Error, "auth on a non-http route";
    E0404, Error, "route target port does not exist";
    E0405, Error, "port bound twice on one host";
    E0406, Error, "tcp/udp route to a dynamic nomad port";
    E0407, Error, "route protocol does not match the port";
    W0408, Warning, "Authentik-protected route and no Boundary to reach it when Authentik is down";
    E0409, Error, "forward auth on the route to Authentik itself";
    E0501, Error, "plaintext secret in env";
    E0502, Error, "file, include or module path outside the root folder";
    E0503, Error, "file, include or module path missing";
    W0601, Warning, "volume without backup";
    W0602, Warning, "dependency without health check";
    W0603, Warning, "image without a pinned tag";
    E0604, Error, "backups declared without a stack backup block";
}

impl Code {
    /// Parses `E0204`, case-insensitively.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|code| code.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
