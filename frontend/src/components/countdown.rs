//! A countdown to a moment on the server's clock: a killed session's expiry, a pause's end.
//! The picture follows ZooKeeper, not this timer; the timer only says how long to expect.

use gloo_timers::callback::Interval;
use yew::prelude::*;

use super::context::{use_page, Page};
use crate::i18n::Text;
use crate::layout::Tenths;

#[derive(Properties, PartialEq)]
pub struct CountdownProps {
    /// When the session should expire (ms since the epoch, server clock).
    pub deadline_ms: u64,
    /// What is counted down to.
    #[prop_or(Text::Expires)]
    pub label: Text,
    #[prop_or("expiry-countdown")]
    pub testid: &'static str,
}

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// Seconds left, to a tenth; negative once the deadline passed (ZooKeeper rounds expiry up to
/// its next tick, so the node may outlive the countdown by up to one tick).
pub fn remaining(deadline_ms: u64, now_ms: u64) -> f64 {
    (deadline_ms as f64 - now_ms as f64) / 1000.0
}

#[function_component(Countdown)]
pub fn countdown(props: &CountdownProps) -> Html {
    let Page { lang, .. } = use_page();
    let now = use_state(now_ms);
    {
        let now = now.clone();
        use_effect_with((), move |_| {
            let tick = Interval::new(100, move || now.set(now_ms()));
            move || drop(tick)
        });
    }
    let left = remaining(props.deadline_ms, *now).max(0.0);
    html! {
        <div class="countdown" data-testid={props.testid}
            data-deadline={props.deadline_ms.to_string()}>
            { format!("{} {} s", props.label.get(lang), Tenths(left)) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::remaining;

    #[test]
    fn remaining_counts_down_and_goes_negative_past_the_deadline() {
        assert_eq!(remaining(10_000, 7_500), 2.5);
        assert_eq!(remaining(10_000, 10_000), 0.0);
        assert_eq!(remaining(10_000, 10_250), -0.25);
    }
}
