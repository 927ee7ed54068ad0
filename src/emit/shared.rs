//! The per-service artifacts that need nothing but the model — the Nomad
//! jobspecs and the Salt states of baremetal and docker services — shared by
//! the two emitter chains: each chain takes the next one once its own emitters
//! are done, until none is left, so the chains finish together whatever the
//! stack's mix of targets. Each unit is its own file(s).
//!
//! Errors stay deterministic: units are taken in order, a chain stops taking
//! them once one has failed, and every unit before a failed one was already
//! taken; so the error kept, that of the failed unit that comes first, does
//! not depend on timing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{nomad, salt, Artifacts, EmitError, Input};
use crate::model::ServiceId;

pub(super) struct Shared {
    /// Jobspecs first, then Salt states: the order of their emitters.
    units: Vec<Unit>,
    jobs: nomad::Jobs,
    next: AtomicUsize,
    failed: Mutex<Option<(usize, EmitError)>>,
}

#[derive(Clone, Copy)]
enum Unit {
    Jobspec(ServiceId),
    SaltStates(ServiceId),
}

/// Whose error a failed unit's is.
pub(super) enum Failed {
    Nomad(EmitError),
    Salt(EmitError),
}

impl Shared {
    pub(super) fn new(input: &Input<'_>) -> Self {
        let units = nomad::Jobs::services(input)
            .map(Unit::Jobspec)
            .chain(salt::services(input).map(Unit::SaltStates))
            .collect();
        Self {
            units,
            jobs: nomad::Jobs::new(input),
            next: AtomicUsize::new(0),
            failed: Mutex::new(None),
        }
    }

    /// Writes units into `out` until none is left or one has failed.
    pub(super) fn write(&self, input: &Input<'_>, out: &mut Artifacts) {
        while self.failed().is_none() {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(&unit) = self.units.get(index) else {
                return;
            };
            let written = match unit {
                Unit::Jobspec(id) => self.jobs.write(input, id, out),
                Unit::SaltStates(id) => salt::service_states(input, id, out),
            };
            if let Err(error) = written {
                let mut failed = self.failed();
                if failed.as_ref().is_none_or(|(first, _)| index < *first) {
                    *failed = Some((index, error));
                }
            }
        }
    }

    /// The first failed unit's error, once both chains are done.
    pub(super) fn result(self) -> Result<(), Failed> {
        let failed = self
            .failed
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        match failed {
            None => Ok(()),
            Some((index, error)) => Err(match self.units[index] {
                Unit::Jobspec(_) => Failed::Nomad(error),
                Unit::SaltStates(_) => Failed::Salt(error),
            }),
        }
    }

    fn failed(&self) -> MutexGuard<'_, Option<(usize, EmitError)>> {
        self.failed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
