//! Policy values: every number and dated measure the rules depend on, in one place with defaults,
//! so a rule change is a one-line edit or a config value (see docs/rules.md for sources).

use serde::{Deserialize, Serialize};

/// The rule parameters. `Default` is the rule set in force as of 2026 (../shared/rules-facts.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Renewal opens when less than this many months remain before certificate expiry (rule 2a).
    pub renewal_window_months: u32,
    /// マイナ保険証 keeps working (eligibility only) until the end of this many months after the expiry month (rule 4a).
    pub insurance_grace_months_after_expiry_month: u32,
    /// Reminder milestones: days before certificate expiry.
    pub reminder_days_before_expiry: Vec<u32>,
    /// Reminder milestones: days before the insurance grace period ends.
    pub reminder_days_before_grace_end: Vec<u32>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            renewal_window_months: 3,
            insurance_grace_months_after_expiry_month: 3,
            reminder_days_before_expiry: vec![90, 60, 30, 14, 7, 3, 1],
            reminder_days_before_grace_end: vec![30, 14, 7, 3, 1],
        }
    }
}
