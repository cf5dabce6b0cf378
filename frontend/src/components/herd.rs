//! The herd counter: watch notifications delivered to lock clients, per recipe, next to what
//! each recipe predicts, so the O(n) and O(n²) recipes can be compared at a glance.

use shared::{ClientNames, Violation, ViolationCause};
use yew::prelude::*;

use super::context::{use_page, use_room, Page};
use super::controls::recipe_text;
use crate::i18n::{Lang, Text};
use crate::texts::fill;

#[function_component(HerdCounter)]
pub fn herd_counter() -> Html {
    let Page { lang, .. } = use_page();
    let view = use_room();
    let view = &view;
    let last = view
        .herd_now()
        .and_then(|h| h.last_handoff)
        .map(|n| n.to_string())
        .unwrap_or_else(|| "–".into());
    html! {
        <section class="herd" data-testid="herd-counter"
            data-notifications={view.herd.total.to_string()}
            data-last-handoff={last.clone()}>
            <h2>{ Text::Herd.get(lang) }</h2>
            <div class="herd-now">
                <strong>{ view.herd.total }</strong>
                <span>{ format!("{} · {}: {last}", Text::HerdTotal.get(lang), Text::HerdLastHandoff.get(lang)) }</span>
            </div>
            <table>
                <thead>
                    <tr>
                        <th></th>
                        <th>{ Text::HerdClients.get(lang) }</th>
                        <th>{ Text::HerdNotifications.get(lang) }</th>
                        <th>{ Text::HerdPredicted.get(lang) }</th>
                        <th>{ Text::HerdTotal.get(lang) }</th>
                    </tr>
                </thead>
                <tbody>
                    { for view.herd.recipes.iter().map(|h| html! {
                        <tr key={h.recipe.as_str()} data-recipe={h.recipe.as_str()}
                            class={classes!((h.recipe == view.recipe).then_some("current"))}
                            title={recipe_text(h.recipe).get(lang)}>
                            <th>{ h.recipe.as_str() }</th>
                            <td>{ h.round_clients }</td>
                            <td class="measured" data-round-notifications={h.round_notifications.to_string()}>
                                { h.round_notifications }
                            </td>
                            <td>{ h.round_predicted() }</td>
                            <td>{ h.notifications }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </section>
    }
}

/// Two holders caught in the act, while the overlap lasts, with the reason the room saw: the
/// episode itself stays in the log.
#[function_component(ViolationBanner)]
pub fn violation_banner() -> Html {
    let Page { lang, .. } = use_page();
    let view = use_room();
    let Some(v) = view.locks.ongoing_violation() else {
        return html! {};
    };
    html! {
        <div class="violation" data-testid="violation" role="alert"
            data-first={v.first_path.clone()} data-second={v.second_path.clone()}
            data-cause={violation_cause_name(&v.cause)}>
            <strong>{ format!("⚠ {}: {} + {}", Text::ViolationTitle.get(lang), v.first_path, v.second_path) }</strong>
            <p>{ violation_why(v, &view.names, lang) }</p>
        </div>
    }
}

/// `data-cause` of the banner.
pub fn violation_cause_name(cause: &ViolationCause) -> &'static str {
    match cause {
        ViolationCause::TrustedNotification { .. } => "trusted_notification",
        ViolationCause::ExpiredWhilePaused => "expired_while_paused",
        ViolationCause::Partitioned => "partitioned",
        ViolationCause::Unknown => "unknown",
    }
}

/// The banner's explanation: what the room saw when the second client gained.
pub fn violation_why(v: &Violation, names: &ClientNames, lang: Lang) -> String {
    let template = match &v.cause {
        ViolationCause::TrustedNotification { .. } => Text::ViolationTrusted,
        ViolationCause::ExpiredWhilePaused => Text::ViolationPaused,
        ViolationCause::Partitioned => Text::ViolationPartitioned,
        ViolationCause::Unknown => Text::ViolationUnknown,
    };
    let watched = match &v.cause {
        ViolationCause::TrustedNotification {
            watched: Some(path),
        } => path.as_str(),
        _ => "?",
    };
    fill(
        template.get(lang),
        &[
            ("first", &names.number(v.first)),
            ("second", &names.number(v.second)),
            ("first_node", &v.first_path),
            ("watched", &watched),
        ],
    )
}
