//! The ensemble panel: each ZooKeeper member's mode and load, and whether there is a quorum.

use shared::{ClientMsg, EnsembleView, MemberMode};
use yew::prelude::*;

use super::context::{use_page, Page};
use crate::i18n::Text;

#[derive(Properties, PartialEq)]
pub struct EnsembleProps {
    pub ensemble: EnsembleView,
    /// The page may stop the members of the ensemble every room shares.
    #[prop_or_default]
    pub stops_shared: bool,
}

fn count(n: Option<u64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_else(|| "–".into())
}

#[function_component(EnsemblePanel)]
pub fn ensemble_panel(props: &EnsembleProps) -> Html {
    let Page { lang, link, member } = use_page();
    let ensemble = &props.ensemble;
    // The room's own ensemble is whoever runs the room's to stop; the shared one stops for
    // every room, so it is who runs the server's.
    let runs = member.role.runs_the_room();
    let may = ensemble.embedded && runs && (ensemble.own || props.stops_shared);
    let whose = match ensemble.own {
        true => Text::EnsembleOwn,
        false => Text::EnsembleShared,
    };
    html! {
        <section class="ensemble" data-testid="ensemble"
            data-quorum={ensemble.quorum.to_string()} data-own={ensemble.own.to_string()}>
            <h2>{ Text::Ensemble.get(lang) }</h2>
            <p class="ensemble-whose" data-testid="ensemble-whose">{ whose.get(lang) }
                if ensemble.embedded && runs && !may {
                    { " " }{ Text::EnsembleNotYours.get(lang) }
                }
            </p>
            if !ensemble.quorum && !ensemble.members.is_empty() {
                <div class="no-quorum" data-testid="no-quorum">{ Text::NoQuorum.get(lang) }</div>
            }
            <ul>
                { for ensemble.members.iter().map(|m| html! {
                    <li key={m.id} class={classes!("zk-member", m.mode.as_str())}
                        data-testid="zk-member" data-member={m.id.to_string()}
                        data-mode={m.mode.as_str()}>
                        <strong>{ format!("#{} {}", m.id, m.address) }</strong>
                        <span class="mode">{ m.mode.as_str() }</span>
                        if may {
                            {
                                if m.mode == MemberMode::Down {
                                    let link = link.clone();
                                    let member = m.id;
                                    let start = Callback::from(move |_| link.send(ClientMsg::StartMember { member }));
                                    html! { <button data-testid="start-member" onclick={start}>{ Text::StartMember.get(lang) }</button> }
                                } else {
                                    let link = link.clone();
                                    let member = m.id;
                                    let stop = Callback::from(move |_| link.send(ClientMsg::StopMember { member }));
                                    html! { <button data-testid="stop-member" onclick={stop}>{ Text::StopMember.get(lang) }</button> }
                                }
                            }
                        }
                        if m.mode != MemberMode::Down {
                            <span class="stats">{ format!(
                                "{} {} · {} {} · {} {} · {} {}",
                                count(m.connections), Text::Connections.get(lang),
                                count(m.znodes), Text::Znodes.get(lang),
                                count(m.watches), Text::Watches.get(lang),
                                count(m.outstanding), Text::Outstanding.get(lang),
                            ) }</span>
                        }
                    </li>
                }) }
            </ul>
        </section>
    }
}
