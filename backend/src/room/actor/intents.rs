//! A browser's intents, as the room carries them out: who may is checked here, where the room
//! acts (a student acts on their own clients only, read from the room's own view), then each
//! intent is one call on the room's parts.

use std::time::Duration;

use shared::classroom::{Need, StudentId};
use shared::{ClientId, ClientMsg, ClientPhase, You};
use tokio::sync::oneshot;

use super::RoomActor;
use crate::classroom::{hex, random_bytes};
use crate::room::error::RoomError;
use crate::room::gate::Press;
use crate::room::handle::Joined;
use crate::room::sessions::NewClient;
use crate::zk::session::SessionCmd;

/// The answer to an intent: done (with who the sender is now, if that changed), or why not.
type Reply = oneshot::Sender<Result<Option<You>, RoomError>>;

impl RoomActor {
    /// Carries out `msg` from the connection `joined`, if its sender may send it.
    pub(super) fn intent(&mut self, joined: Joined, msg: ClientMsg, reply: Reply) {
        let member = joined.you.member;
        let owner = |client| self.view.classroom.owner_of(client);
        if let Err(refused) = member.may(Need::of(&msg), owner) {
            let _ = reply.send(Err(refused.into()));
            return;
        }
        let done = match msg {
            ClientMsg::SetName { name } => self.name_student(&joined, name).map(Some),
            ClientMsg::StopMember { member } => {
                return self.member(joined.you.stops_members, member, false, reply)
            }
            ClientMsg::StartMember { member } => {
                return self.member(joined.you.stops_members, member, true, reply)
            }
            msg => self
                .act(msg, member.student, joined.you.stops_members)
                .map(|()| None),
        };
        let _ = reply.send(done);
    }

    /// An intent that changes the room; `owner` is the student who sends it, whose a client it
    /// adds is.
    fn act(
        &mut self,
        msg: ClientMsg,
        owner: Option<StudentId>,
        stops_members: bool,
    ) -> Result<(), RoomError> {
        match msg {
            // The connection answers these itself; they never reach a room.
            ClientMsg::Hello { .. }
            | ClientMsg::Resync
            | ClientMsg::SetName { .. }
            | ClientMsg::StopMember { .. }
            | ClientMsg::StartMember { .. } => {}
            ClientMsg::AddLockClient => return self.add_client(NewClient::Lock(owner)).map(drop),
            ClientMsg::AddServer { name } => {
                return self.add_client(NewClient::Server(name, owner)).map(drop)
            }
            ClientMsg::AddAppClient => return self.add_client(NewClient::App).map(drop),
            ClientMsg::Crash { client } => return self.sessions.command(client, SessionCmd::Crash),
            ClientMsg::Kill { client } => return self.sessions.command(client, SessionCmd::Kill),
            ClientMsg::Release { client } => return self.release_lock(client),
            ClientMsg::Pause { client, ms } => {
                return self.cut_link(client, SessionCmd::Pause(Duration::from_millis(ms)))
            }
            ClientMsg::Partition { client, ms } => {
                return self.cut_link(client, SessionCmd::Partition(Duration::from_millis(ms)))
            }
            ClientMsg::StepNext { id } => {
                let released = self.time.press(id.map_or(Press::Oldest, Press::Chosen))?;
                self.release(released);
            }
            ClientMsg::StartLesson { lesson } => return self.start_lesson(lesson, stops_members),
            ClientMsg::LessonDo => return self.lesson_do(),
            ClientMsg::LessonGoto { step } => return self.lesson_goto(step),
            ClientMsg::SetHoldMs { hold_ms } => self.set_hold(hold_ms),
            ClientMsg::SetRecipe { recipe } => return self.set_recipe(recipe),
            ClientMsg::RunRecipe { source } => return self.run_recipe(source),
            ClientMsg::PlayFailure => return self.play_failure(),
            // Who may was checked above; the connection runs the check and brings its verdict.
            ClientMsg::CheckRecipe { .. } => {}
            ClientMsg::SetFencing { on } => self.set_fencing(on),
            ClientMsg::SetSuspendOnDisconnect { on } => self.set_suspend(on),
            ClientMsg::SetTime { mode, slow_factor } => self.set_time(mode, slow_factor),
            ClientMsg::ResetRoom => self.reset_room(),
            ClientMsg::LeaveLesson => self.leave_lesson(),
        }
        Ok(())
    }

    /// A holder lets go now instead of at the end of its hold.
    fn release_lock(&mut self, client: ClientId) -> Result<(), RoomError> {
        match self.view.client(client).map(|c| c.phase) {
            Some(ClientPhase::Holding) => self.sessions.command(client, SessionCmd::Release),
            Some(_) => Err(RoomError::NotHolding(client)),
            None => Err(RoomError::NoSuchClient(client)),
        }
    }

    /// A student names themselves (the first time, they get a number and a token) or renames.
    fn name_student(&mut self, joined: &Joined, name: String) -> Result<You, RoomError> {
        let known = self.view.classroom.students.len();
        let token = || Ok(hex(&random_bytes::<16>().map_err(|_| RoomError::Random)?));
        let (student, mut you) =
            self.presence
                .name(joined.viewer, known, token, tokio::time::Instant::now())?;
        you.stops_members = joined.you.stops_members;
        self.publish(shared::RoomEvent::StudentJoined { student, name });
        Ok(you)
    }

    /// Stops or starts a member of the ensemble the room runs on: the room's own is whoever
    /// runs the room's; the shared one is the operator's, and allowed teachers'. The answer
    /// comes once the member has stopped or started; the room goes on meanwhile.
    fn member(&mut self, stops_shared: bool, member: u32, start: bool, reply: Reply) {
        let Some((control, own)) = self.place.members() else {
            let _ = reply.send(Err(RoomError::NoMembers));
            return;
        };
        if !own && !stops_shared {
            let _ = reply.send(Err(RoomError::SharedEnsemble));
            return;
        }
        tokio::spawn(async move {
            let done = if start {
                control.start_member(member as usize).await
            } else {
                control.stop_member(member as usize).await
            };
            let _ = reply.send(
                done.map(|()| None)
                    .map_err(|e| RoomError::Member(e.to_string())),
            );
        });
    }
}
