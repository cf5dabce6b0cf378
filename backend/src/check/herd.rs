//! What one hand-off costs a recipe: the notifications ZooKeeper delivers while the lock passes
//! from its holder to the next of a queue, played out in the checker's model.

use shared::recipe::HerdCost;
use stateright::Model;

use super::model::{Action, LockModel, State};
use crate::recipes::lock::LockMachine;

/// The waiters queued behind the holder when the hand-off is measured.
pub const HERD_WAITERS: usize = 3;

/// The most moves the measurement makes before it gives up on a recipe that never settles.
const MOVES_MAX: usize = 1000;

/// Queues a holder and [`HERD_WAITERS`] waiters, one after another, lets everything settle,
/// ends the hold, and counts the notifications acted on until the next holder holds and all
/// is still again. `None` when the recipe never hands the lock on.
pub fn herd_cost<M: LockMachine + 'static>(prototype: &M) -> Option<HerdCost> {
    let model = LockModel::new(prototype.clone(), HERD_WAITERS + 1);
    let mut state = model.init_states().remove(0);
    // Each client in turn makes its calls until it rests: a queue in the order of the nodes.
    for n in 0..model.clients {
        while state.clients[n].call.is_some() {
            state = model.next_state(&state, Action::Call(n))?;
        }
    }
    settle(&model, &mut state)?;
    let holder = state.clients.iter().position(|c| c.holding)?;
    state = model.next_state(&state, Action::HoldOver(holder))?;
    let notifications = settle(&model, &mut state)?;
    let holds = state.clients.iter().any(|c| c.alive && c.holding);
    holds.then_some(HerdCost {
        waiters: HERD_WAITERS as u32,
        notifications: notifications as u32,
    })
}

/// Makes every call and acts on every notification, first client first, until none is left;
/// the notifications acted on. No hold ends and nothing fails here.
fn settle<M: LockMachine + 'static>(model: &LockModel<M>, state: &mut State<M>) -> Option<usize> {
    let mut notifications = 0;
    for _ in 0..MOVES_MAX {
        let mut possible = Vec::new();
        model.actions(state, &mut possible);
        let Some(action) = possible
            .into_iter()
            .find(|a| matches!(a, Action::Call(_) | Action::Notify(_)))
        else {
            return state.failed().is_none().then_some(notifications);
        };
        notifications += usize::from(matches!(action, Action::Notify(_)));
        *state = model.next_state(state, action)?;
    }
    None
}
