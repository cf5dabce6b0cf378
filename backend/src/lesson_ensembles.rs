//! Ensembles of a room's own for the lessons that stop ZooKeeper members (lesson 6): a pool of
//! slots, each three real members on ports of its own, started when a room's lesson takes the
//! slot and stopped when the room gives it back. No learner stops the ensemble that every other
//! room on the server shares, and each still stops a real leader.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};

use shared::EnsembleView;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::ensemble::{Ensemble, EnsembleConfig, EnsembleControl, EnsembleError};

/// How many ensembles a server may run for lessons at once, at most (each is three JVMs).
pub const MAX_LESSON_ENSEMBLES: usize = 8;
/// Lesson ensembles a server runs at once unless told otherwise.
pub const DEFAULT_LESSON_ENSEMBLES: usize = 2;

/// Who has which slot, and who waits, in order: plain bookkeeping, tested without JVMs.
#[derive(Debug, Default)]
pub struct Slots {
    free: BTreeSet<usize>,
    line: VecDeque<u64>,
}

/// What asking for a slot gives.
#[derive(Debug, PartialEq, Eq)]
pub enum Asked {
    Granted(usize),
    /// In line, 1 = next.
    InLine(usize),
}

impl Slots {
    pub fn new(slots: usize) -> Self {
        Slots {
            free: (0..slots).collect(),
            line: VecDeque::new(),
        }
    }

    /// A slot for `ticket` if one is free and no one waits before it; else its place in line.
    pub fn ask(&mut self, ticket: u64) -> Asked {
        if self.line.is_empty() {
            if let Some(slot) = self.free.pop_first() {
                return Asked::Granted(slot);
            }
        }
        self.line.push_back(ticket);
        Asked::InLine(self.line.len())
    }

    /// `slot` is free again; the first in line gets it, if anyone waits.
    pub fn give_back(&mut self, slot: usize) -> Option<(u64, usize)> {
        match self.line.pop_front() {
            Some(ticket) => Some((ticket, slot)),
            None => {
                self.free.insert(slot);
                None
            }
        }
    }

    /// `ticket` stops waiting.
    pub fn leave(&mut self, ticket: u64) {
        self.line.retain(|t| *t != ticket);
    }

    pub fn free_count(&self) -> usize {
        self.free.len()
    }

    /// Where `ticket` stands in line, from 1.
    pub fn place(&self, ticket: u64) -> Option<usize> {
        self.line.iter().position(|t| *t == ticket).map(|i| i + 1)
    }
}

struct Pool {
    slots: Slots,
    next_ticket: u64,
    /// Who waits is told when their slot comes.
    waiting: Vec<(u64, oneshot::Sender<usize>)>,
}

/// The server's lesson ensembles: one config (its ports) per slot.
#[derive(Clone)]
pub struct LessonEnsembles {
    configs: Arc<Vec<EnsembleConfig>>,
    pool: Arc<Mutex<Pool>>,
    /// Bumped whenever the line moves, so that each waiter can say its new place.
    line_moved: watch::Sender<u64>,
}

impl std::fmt::Debug for LessonEnsembles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LessonEnsembles({} slots)", self.configs.len())
    }
}

/// A room's own ensemble, while it has it: dropping it stops the members and frees the slot.
pub struct LessonEnsemble {
    pub control: EnsembleControl,
    pub connect: String,
    /// The probe's view of it.
    pub view: watch::Receiver<EnsembleView>,
    slot: usize,
    probe: JoinHandle<()>,
    pool: LessonEnsembles,
}

impl std::fmt::Debug for LessonEnsemble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LessonEnsemble(slot {}, {})", self.slot, self.connect)
    }
}

impl Drop for LessonEnsemble {
    fn drop(&mut self) {
        self.probe.abort();
        // The members stop before the slot is free: the next room's start binds their ports.
        let (control, pool, slot) = (self.control.clone(), self.pool.clone(), self.slot);
        tokio::spawn(async move {
            control.stop().await;
            pool.give_back(slot);
        });
    }
}

/// Takes `ticket` out of the line (or gives back the slot it was granted, or was just sent)
/// if the wait for an ensemble is given up before it ends.
struct Waiting {
    pool: LessonEnsembles,
    ticket: u64,
    told: oneshot::Receiver<usize>,
    granted: Option<usize>,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        match self.granted.take().or_else(|| self.told.try_recv().ok()) {
            Some(slot) => self.pool.give_back(slot),
            None => self.pool.leave(self.ticket),
        }
    }
}

impl LessonEnsembles {
    /// A pool with one slot per config (each config's ports its own).
    pub fn new(configs: Vec<EnsembleConfig>) -> Self {
        LessonEnsembles {
            pool: Arc::new(Mutex::new(Pool {
                slots: Slots::new(configs.len()),
                next_ticket: 1,
                waiting: Vec::new(),
            })),
            configs: Arc::new(configs),
            line_moved: watch::channel(0).0,
        }
    }

    /// `slots` three-member ensembles like `base`, the first on `base`'s client port and
    /// each next one 10 ports on (peers at +100, elections at +200, as every ensemble's).
    pub fn on_ports(base: &EnsembleConfig, slots: usize) -> Self {
        let configs = (0..slots)
            .map(|k| EnsembleConfig {
                members: 3,
                client_port: base.client_port + 10 * k as u16,
                ..base.clone()
            })
            .collect();
        LessonEnsembles::new(configs)
    }

    pub fn slots(&self) -> usize {
        self.configs.len()
    }

    /// Waits until every lent ensemble is back, its members stopped (the server's shutdown).
    pub async fn all_returned(&self) {
        let mut moved = self.line_moved.subscribe();
        while self.lock().slots.free_count() < self.slots() {
            if moved.changed().await.is_err() {
                return;
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn give_back(&self, slot: usize) {
        let mut pool = self.lock();
        if let Some((ticket, slot)) = pool.slots.give_back(slot) {
            if let Some(i) = pool.waiting.iter().position(|(t, _)| *t == ticket) {
                let (_, tell) = pool.waiting.swap_remove(i);
                if let Err(slot) = tell.send(slot) {
                    // Its waiter is gone: the slot goes on down the line.
                    drop(pool);
                    return self.give_back(slot);
                }
            }
        }
        drop(pool);
        self.line_moved.send_modify(|n| *n += 1);
    }

    fn leave(&self, ticket: u64) {
        let mut pool = self.lock();
        pool.slots.leave(ticket);
        pool.waiting.retain(|(t, _)| *t != ticket);
        drop(pool);
        self.line_moved.send_modify(|n| *n += 1);
    }

    /// Waits for a free slot (telling `place` each place in line while all are taken), starts
    /// its three members and a probe of them. Given up (the future dropped), the wait leaves
    /// the line, and a slot it got goes back.
    pub async fn lease(
        &self,
        mut place: impl FnMut(usize),
    ) -> Result<LessonEnsemble, EnsembleError> {
        let (ticket, asked, told) = {
            let mut pool = self.lock();
            let ticket = pool.next_ticket;
            pool.next_ticket += 1;
            let asked = pool.slots.ask(ticket);
            let (tx, rx) = oneshot::channel();
            if matches!(asked, Asked::InLine(_)) {
                pool.waiting.push((ticket, tx));
            }
            (ticket, asked, rx)
        };
        let mut waiting = Waiting {
            pool: self.clone(),
            ticket,
            told,
            granted: None,
        };
        let slot = match asked {
            Asked::Granted(slot) => slot,
            Asked::InLine(at) => {
                place(at);
                let mut moved = self.line_moved.subscribe();
                loop {
                    tokio::select! {
                        slot = &mut waiting.told => break slot.map_err(|_| EnsembleError::PoolClosed)?,
                        changed = moved.changed() => {
                            changed.map_err(|_| EnsembleError::PoolClosed)?;
                            if let Some(at) = self.lock().slots.place(ticket) {
                                place(at);
                            }
                        }
                    }
                }
            }
        };
        waiting.granted = Some(slot);
        let ensemble = Ensemble::start(self.configs[slot].clone()).await?;
        let control = EnsembleControl::new(ensemble);
        let connect = control.connect_string().await;
        let (view_tx, view) = watch::channel(EnsembleView::default());
        let probe = tokio::spawn(crate::probe::run(connect.clone(), true, view_tx));
        waiting.granted = None;
        drop(waiting);
        Ok(LessonEnsemble {
            control,
            connect,
            view,
            slot,
            probe,
            pool: self.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_go_first_come_first_served_and_a_leaver_loses_its_place() {
        let mut slots = Slots::new(2);
        assert_eq!(slots.ask(1), Asked::Granted(0));
        assert_eq!(slots.ask(2), Asked::Granted(1));
        assert_eq!(slots.ask(3), Asked::InLine(1));
        assert_eq!(slots.ask(4), Asked::InLine(2));
        assert_eq!(slots.ask(5), Asked::InLine(3));
        // 4 gives up: 5 moves up.
        slots.leave(4);
        assert_eq!(slots.place(5), Some(2));
        // A slot comes back: the first in line has it, not a newcomer.
        assert_eq!(slots.give_back(0), Some((3, 0)));
        assert_eq!(slots.place(5), Some(1));
        assert_eq!(slots.ask(6), Asked::InLine(2));
        assert_eq!(slots.give_back(1), Some((5, 1)));
        assert_eq!(slots.give_back(0), Some((6, 0)));
        // No one waits: the slot is free for the next who asks.
        assert_eq!(slots.give_back(1), None);
        assert_eq!(slots.ask(7), Asked::Granted(1));
    }

    #[test]
    fn a_pool_without_slots_puts_everyone_in_line() {
        let mut slots = Slots::new(0);
        assert_eq!(slots.ask(1), Asked::InLine(1));
    }
}
