//! Calendar arithmetic the rules need (month windows, month-end grace). Dates for people are the
//! presentation's (`crate::l10n::date`).
//!
//! Every function saturates instead of panicking, so hostile or absurd dates cannot crash the daemon.

use chrono::{Datelike, Days, Months, NaiveDate};

/// `d` minus `months` calendar months, clamped to the month's end (May 31 − 3 months = Feb 28/29).
pub fn sub_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(months))
        .unwrap_or(NaiveDate::MIN)
}

/// `d` plus `months` calendar months, clamped to the month's end.
pub fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

pub fn add_days(d: NaiveDate, days: u32) -> NaiveDate {
    d.checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

pub fn sub_days(d: NaiveDate, days: u32) -> NaiveDate {
    d.checked_sub_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MIN)
}

/// The day after the date `months` before `expiry` (rule 2a: 2020-09-24 → 2020-06-25).
pub fn window_opens(expiry: NaiveDate, months: u32) -> NaiveDate {
    add_days(sub_months(expiry, months), 1)
}

/// The last day of the `months`-th month after the month of `expiry` (rule 4a: February → May 31).
pub fn grace_end(expiry: NaiveDate, months: u32) -> NaiveDate {
    let first_of_month = expiry.with_day(1).unwrap_or(expiry);
    add_months(first_of_month, months.saturating_add(1))
        .pred_opt()
        .unwrap_or(NaiveDate::MAX)
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn window_opens_matches_the_municipal_examples() {
        assert_eq!(window_opens(d("2020-09-24"), 3), d("2020-06-25")); // Setagaya
        assert_eq!(window_opens(d("2020-08-01"), 3), d("2020-05-02")); // Omura
        assert_eq!(window_opens(d("2021-04-15"), 3), d("2021-01-16")); // Kure
        assert_eq!(window_opens(d("2026-05-31"), 3), d("2026-03-01")); // clamped to Feb 28, +1
        assert_eq!(window_opens(d("2028-05-31"), 3), d("2028-03-01")); // Feb 29 in a leap year, +1
        assert_eq!(window_opens(d("2028-02-29"), 3), d("2027-11-30"));
    }

    #[test]
    fn grace_ends_at_the_end_of_the_third_month_after_the_expiry_month() {
        assert_eq!(grace_end(d("2026-02-10"), 3), d("2026-05-31")); // Tama: February → May
        assert_eq!(grace_end(d("2028-02-29"), 3), d("2028-05-31"));
        assert_eq!(grace_end(d("2026-11-30"), 3), d("2027-02-28"));
        assert_eq!(grace_end(d("2027-11-01"), 3), d("2028-02-29"));
        assert_eq!(grace_end(d("2026-12-31"), 3), d("2027-03-31"));
    }

    #[test]
    fn extreme_dates_saturate_instead_of_panicking() {
        assert_eq!(
            grace_end(NaiveDate::MAX, 3),
            NaiveDate::MAX.pred_opt().unwrap()
        );
        assert_eq!(sub_months(NaiveDate::MIN, 3), NaiveDate::MIN);
        assert_eq!(add_days(NaiveDate::MAX, 1), NaiveDate::MAX);
    }
}
