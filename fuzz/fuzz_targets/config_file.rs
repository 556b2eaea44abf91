//! Fuzz target: the user's config file (`config::Config::parse`, what `Config::load` runs on the
//! file's bytes), then the rule core with the loaded policy. Checks: errors name a real line and
//! column of the input, and no policy value a user can write (e.g. `renewal_window_months =
//! 4294967295`) makes the rules panic.
#![no_main]

use std::path::Path;

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use mynawatch::config::{Config, ConfigError};
use mynawatch::rules::{self, CertValidity, Facts, Lang, PinCounters, Registration, TokenKind};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fuzz_target!(|data: &[u8]| {
    let cfg = match Config::parse(Path::new("config.toml"), data) {
        Ok(cfg) => cfg,
        Err(ConfigError::Invalid { line, column, .. }) => {
            let lines = data.split(|b| *b == b'\n').count();
            assert!(line >= 1 && line <= lines, "line {line} of {lines}");
            assert!(column >= 1, "column {column}");
            return;
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let _ = cfg.lang();
    let p = &cfg.policy;
    for (cert, registered, card_expires) in [
        (
            Some((day(2022, 3, 1), day(2027, 2, 14))),
            Registration::Yes,
            None,
        ),
        (
            Some((day(2021, 1, 31), day(2026, 1, 31))),
            Registration::Unknown,
            Some(day(2031, 1, 31)),
        ),
        (None, Registration::No, None),
    ] {
        let facts = Facts {
            token: TokenKind::MyNumberCard,
            cert: cert.map(|(not_before, not_after)| CertValidity {
                not_before,
                not_after,
            }),
            card_expires,
            registered,
            pins: PinCounters::default(),
        };
        for today in [day(2026, 11, 26), day(2027, 2, 15), day(2027, 6, 1)] {
            let a = rules::assess(&facts, today, p);
            let _ = (a.headline(Lang::Ja), a.headline(Lang::En));
            let ms = rules::milestones(&facts, p);
            let _ = rules::due_milestone(&facts, today, p, ms.first());
            let _ = rules::next_milestone(&facts, today, p);
        }
    }
});
