//! The recipe checks the server runs: a few at once, one per address, each on a blocking thread
//! of its own so that the rooms go on while the model checker explores.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use shared::recipe::{ScriptLimits, Verdict};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::check::{check_source, CheckBudget};

/// What a check may spend, and how many run at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckSettings {
    pub budget: CheckBudget,
    pub limits: ScriptLimits,
    /// Checks the server runs at once (`--checks-at-once`).
    pub at_once: usize,
}

impl Default for CheckSettings {
    fn default() -> Self {
        CheckSettings {
            budget: CheckBudget::default(),
            limits: ScriptLimits::default(),
            at_once: 2,
        }
    }
}

/// Why a check may not start now.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChecksBusy {
    #[error("the server runs {0} recipe checks at once, its limit: try again in a few seconds")]
    Server(usize),
    #[error("a check of yours is still running: try again once it has answered")]
    Address,
}

/// The server's checks under way.
#[derive(Debug)]
pub struct Checks {
    settings: CheckSettings,
    permits: Arc<Semaphore>,
    running: Arc<Mutex<HashSet<IpAddr>>>,
}

/// A check's place: held while it runs, given back when dropped.
#[derive(Debug)]
pub struct CheckPermit {
    _permit: OwnedSemaphorePermit,
    address: Option<IpAddr>,
    running: Arc<Mutex<HashSet<IpAddr>>>,
    settings: CheckSettings,
}

impl Drop for CheckPermit {
    fn drop(&mut self) {
        if let (Ok(mut running), Some(address)) = (self.running.lock(), self.address) {
            running.remove(&address);
        }
    }
}

impl Checks {
    pub fn new(settings: CheckSettings) -> Self {
        Checks {
            permits: Arc::new(Semaphore::new(settings.at_once)),
            running: Arc::default(),
            settings,
        }
    }

    /// A place for a check from `address` (none: a lesson's own), if the server and the
    /// address have one free.
    pub fn try_start(&self, address: Option<IpAddr>) -> Result<CheckPermit, ChecksBusy> {
        let mut running = self.running.lock().map_err(|_| ChecksBusy::Address)?;
        if address.is_some_and(|a| running.contains(&a)) {
            return Err(ChecksBusy::Address);
        }
        let permit = (self.permits.clone().try_acquire_owned())
            .map_err(|_| ChecksBusy::Server(self.settings.at_once))?;
        running.extend(address);
        Ok(CheckPermit {
            _permit: permit,
            address,
            running: self.running.clone(),
            settings: self.settings,
        })
    }
}

impl CheckPermit {
    /// Checks `source` on a blocking thread; the place is given back when it answers.
    pub async fn run(self, source: String) -> Verdict {
        let CheckSettings { budget, limits, .. } = self.settings;
        let checked = tokio::task::spawn_blocking(move || {
            let _place = self;
            check_source(&source, limits, budget)
        });
        match checked.await {
            Ok(verdict) => verdict,
            Err(e) => {
                let error = shared::recipe::RecipeError::new(
                    shared::recipe::RecipeErrorKind::Runtime,
                    format!("the check stopped: {e}"),
                );
                Verdict::error(error, Vec::new())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_check_per_address_and_no_more_than_the_server_runs() {
        let checks = Checks::new(CheckSettings {
            at_once: 2,
            ..CheckSettings::default()
        });
        let (a, b, c) = (
            IpAddr::from([10, 0, 0, 1]),
            IpAddr::from([10, 0, 0, 2]),
            IpAddr::from([10, 0, 0, 3]),
        );
        let first = checks.try_start(Some(a)).expect("a place");
        assert_eq!(checks.try_start(Some(a)).unwrap_err(), ChecksBusy::Address);
        let second = checks.try_start(Some(b)).expect("a second place");
        assert_eq!(
            checks.try_start(Some(c)).unwrap_err(),
            ChecksBusy::Server(2)
        );
        assert_eq!(checks.try_start(None).unwrap_err(), ChecksBusy::Server(2));
        drop(first);
        let third = checks.try_start(Some(c)).expect("a place given back");
        assert_eq!(
            checks.try_start(Some(a)).unwrap_err(),
            ChecksBusy::Server(2)
        );
        drop((second, third));
        let lesson = checks.try_start(None).expect("a lesson's check");
        assert!(checks.try_start(Some(a)).is_ok());
        drop(lesson);
    }
}
