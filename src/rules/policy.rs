//! Policy values: every number and dated measure the rules depend on, in one place with defaults,
//! so a rule change is a one-line edit or a config value (see docs/rules.md for sources).

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};

use super::model::Status;

/// The rule parameters. `Default` is the rule set in force as of 2026 (each value with its source: docs/rules.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Renewal opens when less than this many months remain before certificate expiry (rule 2a).
    #[serde(deserialize_with = "within::<_, 1, 24>")]
    pub renewal_window_months: u32,
    /// マイナ保険証 keeps working (eligibility only) until the end of this many months after the expiry month (rule 4a).
    #[serde(deserialize_with = "within::<_, 0, 24>")]
    pub insurance_grace_months_after_expiry_month: u32,
    /// A certificate issued outside the renewal window runs to this birthday after issue (rule 1b).
    #[serde(deserialize_with = "within::<_, 1, 20>")]
    pub cert_validity_birthdays: u32,
    /// A certificate renewed inside the window runs to this birthday after renewal (rule 2b).
    #[serde(deserialize_with = "within::<_, 1, 20>")]
    pub early_renewal_birthdays: u32,
    /// New-card applications open this many months before the card's own expiry (rule 3c). A card
    /// expiring within this many months after the certificate makes "apply for a new card" the action.
    #[serde(deserialize_with = "within::<_, 0, 24>")]
    pub new_card_window_months: u32,
    /// Getting a new card takes 1–2 months (rule 10a): advise applying at least this many days
    /// before the card expires.
    #[serde(deserialize_with = "within::<_, 0, 730>")]
    pub new_card_lead_days: u32,
    /// Certificates issued on or after this day may be the next-generation card's (reported for
    /// FY2028, 令和10年度, with a longer certificate; secondary sources only), so the span rule
    /// (span > `cert_validity_birthdays` years ⇒ the card expires with the certificate) is not
    /// applied to them. `None`: apply it to every certificate.
    pub next_generation_from: Option<NaiveDate>,
    /// Reminder milestones: days before certificate expiry.
    #[serde(deserialize_with = "days_within::<_, 0, 730>")]
    pub reminder_days_before_expiry: Vec<u32>,
    /// Reminder milestones: days before the insurance grace period ends.
    #[serde(deserialize_with = "days_within::<_, 0, 730>")]
    pub reminder_days_before_grace_end: Vec<u32>,
    /// Administrative measures with a start and/or end date, shown as extra actions while in force
    /// (rules 6b, 6c). They stop showing after `valid_to`.
    pub measures: Vec<DatedMeasure>,
}

/// A policy number must lie in `LO..=HI`: the rules are about months and a few years, and an absurd
/// value (`renewal_window_months = 100000`) would publish dates like `-6307-10-15`. The bounds are
/// generous (the values in force are 3, 3, 5, 6, 3, 60 and reminders up to 90 days); an error names
/// the range, and the config loader points at the line.
fn within<'de, D: Deserializer<'de>, const LO: u32, const HI: u32>(d: D) -> Result<u32, D::Error> {
    let v = u32::deserialize(d)?;
    if (LO..=HI).contains(&v) {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "{v} is out of range: expected {LO} to {HI}"
        )))
    }
}

/// A list of reminder days, each in `LO..=HI` (see [`within`]).
fn days_within<'de, D: Deserializer<'de>, const LO: u32, const HI: u32>(
    d: D,
) -> Result<Vec<u32>, D::Error> {
    let v = Vec::<u32>::deserialize(d)?;
    match v.iter().find(|n| !(LO..=HI).contains(n)) {
        None => Ok(v),
        Some(n) => Err(serde::de::Error::custom(format!(
            "{n} days is out of range: expected {LO} to {HI}"
        ))),
    }
}

/// A temporary or dated administrative measure worth telling the holder about (an action with id
/// `id` while in force).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatedMeasure {
    /// Stable action id (kebab-case).
    pub id: String,
    /// First day the measure applies (`None`: already in force).
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    /// Last day the measure applies (`None`: no announced end).
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
    /// Statuses for which it is shown; empty = every My Number Card status.
    #[serde(default)]
    pub show_for: Vec<Status>,
    /// The text, for a measure the configuration adds. The default measures' words are in the
    /// catalogue under their id (i18n/); a text given here wins over it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ja: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl DatedMeasure {
    /// Whether to show this measure on `today` for a card in `status`.
    pub fn applies(&self, today: NaiveDate, status: Status) -> bool {
        self.valid_from.is_none_or(|from| from <= today)
            && self.valid_to.is_none_or(|to| today <= to)
            && (self.show_for.is_empty() || self.show_for.contains(&status))
    }
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// A default measure: its words are in the catalogue under `id`.
fn measure(
    id: &str,
    valid_from: Option<NaiveDate>,
    valid_to: Option<NaiveDate>,
    show_for: &[Status],
) -> DatedMeasure {
    DatedMeasure {
        id: id.into(),
        valid_from,
        valid_to,
        show_for: show_for.to_vec(),
        ja: None,
        en: None,
    }
}

fn default_measures() -> Vec<DatedMeasure> {
    let lapsing = [Status::ExpiredGrace, Status::RegistrationLapsed];
    vec![
        // Rule 6b, extended on 2026-03-19 to 2026-07-31 with no further extension planned
        // (secondary sources only, hence "may"). The id keeps its old date: ids never change.
        measure(
            "measure-expired-insurance-card-until-2026-03-31",
            None,
            ymd(2026, 7, 31),
            &lapsing,
        ),
        // Rule 6c, up to 2026-07-31.
        measure(
            "measure-koki-eligibility-certificate-until-2026-07-31",
            None,
            ymd(2026, 7, 31),
            &lapsing,
        ),
        // Rule 6c, from 2026-08-01. The sources cover one 資格確認書 year (8/1–7/31) only, so the
        // measure ends on 2027-07-31 rather than promising what follows.
        measure(
            "measure-koki-eligibility-certificate-from-2026-08-01",
            ymd(2026, 8, 1),
            ymd(2027, 7, 31),
            &lapsing,
        ),
    ]
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            renewal_window_months: 3,
            insurance_grace_months_after_expiry_month: 3,
            cert_validity_birthdays: 5,
            early_renewal_birthdays: 6,
            new_card_window_months: 3,
            new_card_lead_days: 60,
            next_generation_from: ymd(2028, 4, 1),
            reminder_days_before_expiry: vec![90, 60, 30, 14, 7, 3, 1],
            reminder_days_before_grace_end: vec![90, 60, 30, 14, 7, 3, 1],
            measures: default_measures(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_a_partial_policy_table_and_keeps_the_other_defaults() {
        let p: Policy = toml::from_str(
            "renewal_window_months = 2\n\
             [[measures]]\n\
             id = \"x\"\nvalid_to = \"2027-01-31\"\nshow_for = [\"valid\"]\nja = \"あ\"\nen = \"a\"\n",
        )
        .unwrap();
        assert_eq!(p.renewal_window_months, 2);
        assert_eq!(p.insurance_grace_months_after_expiry_month, 3);
        assert_eq!(p.measures.len(), 1);
        assert_eq!(p.measures[0].valid_to, ymd(2027, 1, 31));
        assert_eq!(p.measures[0].show_for, vec![Status::Valid]);
        assert_eq!(p.measures[0].ja.as_deref(), Some("あ"));
    }

    #[test]
    fn rejects_unknown_keys() {
        let err = toml::from_str::<Policy>("renewal_window_month = 2\n").unwrap_err();
        assert!(err.to_string().contains("renewal_window_month"), "{err}");
    }

    #[test]
    fn a_measure_stops_showing_after_its_end_date() {
        let m = &Policy::default().measures[0];
        let end = ymd(2026, 7, 31).unwrap();
        assert!(m.applies(end, Status::RegistrationLapsed));
        assert!(!m.applies(end.succ_opt().unwrap(), Status::RegistrationLapsed));
        assert!(!m.applies(end, Status::Valid));
        let from = &Policy::default().measures[2];
        assert!(!from.applies(ymd(2026, 7, 31).unwrap(), Status::ExpiredGrace));
        assert!(from.applies(ymd(2026, 8, 1).unwrap(), Status::ExpiredGrace));
        assert!(from.applies(ymd(2027, 7, 31).unwrap(), Status::ExpiredGrace));
        assert!(!from.applies(ymd(2027, 8, 1).unwrap(), Status::ExpiredGrace));
    }
}
