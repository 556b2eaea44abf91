//! The pure rule core: certificate/card dates + what the user told us + today (Japan time) → status,
//! deadlines, next steps and reminder milestones. No I/O and no clock: `today` is always a parameter.

mod model;
mod policy;

pub use model::*;
pub use policy::Policy;

use chrono::NaiveDate;

/// Judge one card on one day.
pub fn assess(facts: &Facts, today: NaiveDate, policy: &Policy) -> Assessment {
    let _ = (facts, today, policy);
    todo!("rule core: issue 3")
}

/// All reminder milestones for these facts, in date order.
pub fn milestones(facts: &Facts, policy: &Policy) -> Vec<Milestone> {
    let _ = (facts, policy);
    todo!("rule core: issue 3")
}

/// The newest milestone reached on or before `today` that is newer than `last_notified`, if any.
/// A daemon that was off for a week therefore notifies once, not once per missed milestone.
pub fn due_milestone(
    facts: &Facts,
    today: NaiveDate,
    policy: &Policy,
    last_notified: Option<&Milestone>,
) -> Option<Milestone> {
    let _ = (facts, today, policy, last_notified);
    todo!("rule core: issue 3")
}

/// The first milestone strictly after `today` (for the scheduler), if any.
pub fn next_milestone(facts: &Facts, today: NaiveDate, policy: &Policy) -> Option<Milestone> {
    let _ = (facts, today, policy);
    todo!("rule core: issue 3")
}
