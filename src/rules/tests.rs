//! Table and property tests of the rule core: every status, every boundary day, and the invariants.

use chrono::{DateTime, NaiveDate, Utc};
use proptest::prelude::*;

use super::*;
use crate::l10n::{self, Lang};

/// The rendered copy of an action or an assessment's headline, through the catalogue: the tests
/// that check the words go through the presentation layer (its own tests: src/l10n/tests.rs).
trait Words {
    fn ja(&self) -> String;
    fn en(&self) -> String;
}

impl Words for Action {
    fn ja(&self) -> String {
        l10n::action(self, Lang::Ja)
    }
    fn en(&self) -> String {
        l10n::action(self, Lang::En)
    }
}

fn headline(a: &Assessment, lang: Lang) -> String {
    l10n::headline(a, lang)
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A first certificate (issued about 4 years 11 months before it expires), nothing else known.
fn facts(expires: &str) -> Facts {
    let not_after = d(expires);
    let not_before = dates::add_days(dates::sub_months(not_after, 60), 30);
    Facts::for_expiry(not_before, not_after)
}

/// Action ids without the dated measures (those have their own test).
fn ids(a: &Assessment) -> Vec<&str> {
    all_ids(a)
        .into_iter()
        .filter(|id| !id.starts_with("measure-"))
        .collect()
}

fn all_ids(a: &Assessment) -> Vec<&str> {
    a.actions.iter().map(|a| a.id()).collect()
}

/// (certificate expiry, today, status, renewal opens, usable until, days left)
const TABLE: &[(&str, &str, Status, &str, &str, i64)] = &[
    // Setagaya's example: expiry 2020-09-24 → renewal from 2020-06-25.
    (
        "2020-09-24",
        "2020-06-24",
        Status::Valid,
        "2020-06-25",
        "2020-12-31",
        92,
    ),
    (
        "2020-09-24",
        "2020-06-25",
        Status::RenewalOpen,
        "2020-06-25",
        "2020-12-31",
        91,
    ),
    (
        "2020-09-24",
        "2020-09-24",
        Status::RenewalOpen,
        "2020-06-25",
        "2020-12-31",
        0,
    ),
    (
        "2020-09-24",
        "2020-09-25",
        Status::ExpiredGrace,
        "2020-06-25",
        "2020-12-31",
        97,
    ),
    (
        "2020-09-24",
        "2020-12-31",
        Status::ExpiredGrace,
        "2020-06-25",
        "2020-12-31",
        0,
    ),
    (
        "2020-09-24",
        "2021-01-01",
        Status::RegistrationLapsed,
        "2020-06-25",
        "2020-12-31",
        -1,
    ),
    // Tama's example: expiry in February → usable through May 31.
    (
        "2026-02-10",
        "2026-05-31",
        Status::ExpiredGrace,
        "2025-11-11",
        "2026-05-31",
        0,
    ),
    (
        "2026-02-10",
        "2026-06-01",
        Status::RegistrationLapsed,
        "2025-11-11",
        "2026-05-31",
        -1,
    ),
    // Month-end expiry: May 31 − 3 months clamps to Feb 28, so renewal from Mar 1.
    (
        "2026-05-31",
        "2026-02-28",
        Status::Valid,
        "2026-03-01",
        "2026-08-31",
        92,
    ),
    (
        "2026-05-31",
        "2026-03-01",
        Status::RenewalOpen,
        "2026-03-01",
        "2026-08-31",
        91,
    ),
    (
        "2026-05-31",
        "2026-06-01",
        Status::ExpiredGrace,
        "2026-03-01",
        "2026-08-31",
        91,
    ),
    (
        "2026-11-30",
        "2027-02-28",
        Status::ExpiredGrace,
        "2026-08-31",
        "2027-02-28",
        0,
    ),
    (
        "2026-11-30",
        "2027-03-01",
        Status::RegistrationLapsed,
        "2026-08-31",
        "2027-02-28",
        -1,
    ),
    // Leap day.
    (
        "2028-02-29",
        "2027-11-29",
        Status::Valid,
        "2027-11-30",
        "2028-05-31",
        92,
    ),
    (
        "2028-02-29",
        "2027-11-30",
        Status::RenewalOpen,
        "2027-11-30",
        "2028-05-31",
        91,
    ),
    (
        "2028-02-29",
        "2028-02-29",
        Status::RenewalOpen,
        "2027-11-30",
        "2028-05-31",
        0,
    ),
    (
        "2028-02-29",
        "2028-03-01",
        Status::ExpiredGrace,
        "2027-11-30",
        "2028-05-31",
        91,
    ),
    (
        "2028-02-29",
        "2028-05-31",
        Status::ExpiredGrace,
        "2027-11-30",
        "2028-05-31",
        0,
    ),
    (
        "2028-02-29",
        "2028-06-01",
        Status::RegistrationLapsed,
        "2027-11-30",
        "2028-05-31",
        -1,
    ),
    // Grace ending in a leap February.
    (
        "2027-11-15",
        "2028-02-29",
        Status::ExpiredGrace,
        "2027-08-16",
        "2028-02-29",
        0,
    ),
    (
        "2027-11-15",
        "2028-03-01",
        Status::RegistrationLapsed,
        "2027-08-16",
        "2028-02-29",
        -1,
    ),
    // Long valid, long lapsed.
    (
        "2030-04-15",
        "2026-01-01",
        Status::Valid,
        "2030-01-16",
        "2030-07-31",
        1565,
    ),
    (
        "2024-04-15",
        "2026-01-01",
        Status::RegistrationLapsed,
        "2024-01-16",
        "2024-07-31",
        -519,
    ),
];

#[test]
fn boundary_table() {
    let policy = Policy::default();
    for &(expires, today, status, opens, until, days) in TABLE {
        let a = assess(&facts(expires), d(today), &policy);
        let case = format!("expiry {expires}, today {today}");
        assert_eq!(a.status, status, "{case}");
        assert_eq!(a.certificate_expires, Some(d(expires)), "{case}");
        assert_eq!(a.renewal_opens, Some(d(opens)), "{case}");
        assert_eq!(a.insurance_usable_until, Some(d(until)), "{case}");
        assert_eq!(a.days_left, Some(days), "{case}");
        assert!(!a.actions.is_empty(), "{case}");
    }
}

fn instant(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn not_after_at_15_00_utc_is_already_the_next_day_in_japan() {
    let policy = Policy::default();
    let nb = instant("2021-09-01T15:00:00Z"); // 2021-09-02 00:00 JST
    let usual = CertValidity::from_instants(nb, instant("2026-09-24T14:59:59Z"));
    let late = CertValidity::from_instants(nb, instant("2026-09-24T15:00:00Z"));
    assert_eq!(usual.not_before, d("2021-09-02"));
    assert_eq!(usual.not_after, d("2026-09-24"));
    assert_eq!(late.not_after, d("2026-09-25"));
    let with = |cert| Facts {
        cert: Some(cert),
        ..facts("2026-09-24")
    };
    let today = d("2026-09-25");
    assert_eq!(
        assess(&with(usual), today, &policy).status,
        Status::ExpiredGrace
    );
    let a = assess(&with(late), today, &policy);
    assert_eq!(a.status, Status::RenewalOpen);
    assert_eq!(a.days_left, Some(0));
    assert_eq!(a.renewal_opens, Some(d("2026-06-26")));
}

#[test]
fn actions_per_status() {
    let policy = Policy::default();
    let f = facts("2027-09-24");
    let at = |today: &str| assess(&f, d(today), &policy);
    assert_eq!(
        ids(&at("2027-01-01")),
        ["check-registration", "renew-later"]
    );
    assert_eq!(
        ids(&at("2027-07-01")),
        ["renew-certificate", "check-registration"]
    );
    assert_eq!(
        ids(&at("2027-10-01")),
        [
            "renew-certificate",
            "check-registration",
            "ask-insurer-eligibility-certificate"
        ]
    );
    assert_eq!(
        ids(&at("2028-01-01")),
        [
            "renew-certificate",
            "re-register-insurance",
            "ask-insurer-eligibility-certificate"
        ]
    );
    let renew = &at("2027-07-01").actions[0];
    for needle in [
        "2027年9月24日",
        "市区町村",
        "郵便局",
        "無料",
        "暗証番号",
        "6回目",
        "マイナポータル",
    ] {
        assert!(
            renew.ja().contains(needle),
            "{needle} missing in {}",
            renew.ja()
        );
    }
    for needle in [
        "2027-09-24",
        "municipal office",
        "post office",
        "free",
        "both PINs",
        "6th",
        "about a day",
    ] {
        assert!(
            renew.en().contains(needle),
            "{needle} missing in {}",
            renew.en()
        );
    }
    let later = &at("2027-01-01").actions[1];
    assert!(
        later.en().contains("from about 2027-06-25"),
        "{}",
        later.en()
    );
    assert!(
        later.ja().contains("2027年6月25日ごろから"),
        "{}",
        later.ja()
    );
}

#[test]
fn registration_answer_changes_the_registration_step() {
    let policy = Policy::default();
    let with = |registered| Facts {
        registered,
        ..facts("2027-09-24")
    };
    let valid = d("2027-01-01");
    let lapsed = d("2028-01-01");
    assert_eq!(
        ids(&assess(&with(Registration::Yes), valid, &policy)),
        ["renew-later"]
    );
    assert_eq!(
        ids(&assess(&with(Registration::No), valid, &policy)),
        ["register-insurance", "renew-later"]
    );
    assert_eq!(
        ids(&assess(&with(Registration::No), lapsed, &policy)),
        [
            "renew-certificate",
            "register-insurance",
            "ask-insurer-eligibility-certificate"
        ]
    );
    let grace = assess(&with(Registration::No), d("2027-10-01"), &policy);
    let register = grace
        .actions
        .iter()
        .find(|a| a.id() == "register-insurance")
        .unwrap();
    assert!(
        register.en().starts_with("After renewing"),
        "{}",
        register.en()
    );
    for a in [
        &assess(&with(Registration::No), valid, &policy).actions[0],
        register,
    ] {
        for needle in [
            "マイナポータル",
            "セブン銀行ATM",
            "顔認証付きカードリーダー",
        ] {
            assert!(a.ja().contains(needle), "{}", a.ja());
        }
        for needle in ["NFC", "Seven Bank ATM", "face-recognition card reader"] {
            assert!(a.en().contains(needle), "{}", a.en());
        }
    }
}

#[test]
fn the_insurer_step_never_promises_a_certificate() {
    let policy = Policy::default();
    for today in ["2027-10-01", "2028-01-01"] {
        let a = assess(&facts("2027-09-24"), d(today), &policy);
        let ask = a
            .actions
            .iter()
            .find(|a| a.id() == "ask-insurer-eligibility-certificate")
            .unwrap();
        assert!(ask.en().contains("depends on the insurer"), "{}", ask.en());
        assert!(
            ask.ja().contains("保険者によって異なります"),
            "{}",
            ask.ja()
        );
        assert!(!ask.en().contains("will receive"), "{}", ask.en());
    }
}

#[test]
fn a_card_expiring_with_the_certificate_needs_a_new_card() {
    let policy = Policy::default();
    let with = |card: &str| Facts {
        card_expires: Some(d(card)),
        registered: Registration::Yes,
        ..facts("2027-09-24")
    };
    // Card and certificate expire together (the 10th birthday): new card, said early.
    let a = assess(&with("2027-09-24"), d("2027-06-25"), &policy);
    assert_eq!(a.status, Status::RenewalOpen);
    assert_eq!(ids(&a), ["apply-new-card", "new-card-insurance"]);
    assert!(
        a.actions[0].en().contains("1–2 months"),
        "{}",
        a.actions[0].en()
    );
    assert!(
        a.actions[0].en().contains("by about 2027-07-26"),
        "{}",
        a.actions[0].en()
    );
    assert!(
        a.actions[0].ja().contains("1〜2か月"),
        "{}",
        a.actions[0].ja()
    );
    assert!(headline(&a, Lang::En).contains("new card"));
    // Before the window: the "later" step already says a new card will be needed.
    let early = assess(&with("2027-09-24"), d("2027-01-01"), &policy);
    assert_eq!(ids(&early), ["new-card-later"]);
    // Card two months after the certificate: still a new card, applications open later.
    let a = assess(&with("2027-11-24"), d("2027-07-01"), &policy);
    assert_eq!(ids(&a), ["apply-new-card", "new-card-insurance"]);
    assert!(
        a.actions[0].en().contains("from about 2027-08-25"),
        "{}",
        a.actions[0].en()
    );
    // Card years after the certificate: ordinary renewal.
    let a = assess(&with("2032-09-24"), d("2027-07-01"), &policy);
    assert_eq!(ids(&a), ["renew-certificate"]);
    // A card expiring before the certificate caps it.
    let a = assess(&with("2027-08-01"), d("2027-08-02"), &policy);
    assert_eq!(a.status, Status::ExpiredGrace);
    assert_eq!(a.certificate_expires, Some(d("2027-08-01")));
    assert_eq!(a.insurance_usable_until, Some(d("2027-11-30")));
    assert!(
        a.actions[0].en().contains("expired on 2027-08-01"),
        "{}",
        a.actions[0].en()
    );
}

/// The span cases: (issued, expires, today, status, actions without measures, card expiry inferred?)
/// A card issued 2016-07-01 to someone born on June 20 expires on 2026-06-20 (10th birthday); its
/// first certificate ran to 2021-06-20; renewed inside the window on 2021-04-01 the new one runs to
/// the 6th birthday after renewal, capped by the card: 2026-06-20 — a span of more than five years.
#[allow(clippy::type_complexity)]
const SPAN: &[(&str, &str, &str, Status, &[&str], Option<CardExpirySource>)] = &[
    // Renewed early, long before expiry: the "later" step already says a new card.
    (
        "2021-04-01",
        "2026-06-20",
        "2025-01-01",
        Status::Valid,
        &["check-registration", "new-card-later"],
        Some(CardExpirySource::CertificateSpan),
    ),
    // … in the window: apply for a new card, never renew.
    (
        "2021-04-01",
        "2026-06-20",
        "2026-04-01",
        Status::RenewalOpen,
        &["apply-new-card", "new-card-insurance", "check-registration"],
        Some(CardExpirySource::CertificateSpan),
    ),
    (
        "2021-04-01",
        "2026-06-20",
        "2026-06-20",
        Status::RenewalOpen,
        &["apply-new-card", "new-card-insurance", "check-registration"],
        Some(CardExpirySource::CertificateSpan),
    ),
    // … in the grace period.
    (
        "2021-04-01",
        "2026-06-20",
        "2026-07-15",
        Status::ExpiredGrace,
        &["apply-new-card", "new-card-insurance"],
        Some(CardExpirySource::CertificateSpan),
    ),
    // … long past it.
    (
        "2021-04-01",
        "2026-06-20",
        "2027-06-01",
        Status::RegistrationLapsed,
        &[
            "apply-new-card",
            "re-register-insurance",
            "new-card-insurance",
        ],
        Some(CardExpirySource::CertificateSpan),
    ),
    // … a certificate renewed early that expires far in the future.
    (
        "2026-11-01",
        "2032-01-15",
        "2026-12-01",
        Status::Valid,
        &["check-registration", "new-card-later"],
        Some(CardExpirySource::CertificateSpan),
    ),
    // Renewed on the first day of the window (span 5 years 3 months).
    (
        "2021-03-21",
        "2026-06-20",
        "2026-04-01",
        Status::RenewalOpen,
        &["apply-new-card", "new-card-insurance", "check-registration"],
        Some(CardExpirySource::CertificateSpan),
    ),
    // Span of 5 years and 1 day: the shortest early renewal.
    (
        "2021-06-19",
        "2026-06-20",
        "2026-04-01",
        Status::RenewalOpen,
        &["apply-new-card", "new-card-insurance", "check-registration"],
        Some(CardExpirySource::CertificateSpan),
    ),
    // A first certificate issued the day after the birthday: < 5 years, cannot tell, renew.
    (
        "2021-06-21",
        "2026-06-20",
        "2026-04-01",
        Status::RenewalOpen,
        &["renew-certificate", "check-registration"],
        None,
    ),
    // … issued on the birthday itself (it does not count): exactly 5 years, still a first one.
    (
        "2021-06-20",
        "2026-06-20",
        "2026-04-01",
        Status::RenewalOpen,
        &["renew-certificate", "check-registration"],
        None,
    ),
    // A Feb-29 birthday counted as Mar 1: exactly "5 years" too.
    (
        "2024-02-29",
        "2029-03-01",
        "2029-01-15",
        Status::RenewalOpen,
        &["renew-certificate", "check-registration"],
        None,
    ),
    (
        "2024-02-29",
        "2029-03-02",
        "2029-01-15",
        Status::RenewalOpen,
        &["apply-new-card", "new-card-insurance", "check-registration"],
        Some(CardExpirySource::CertificateSpan),
    ),
    // A next-generation certificate (FY2028 on, reported to run 10 years) is not judged by the span.
    (
        "2028-05-01",
        "2038-04-30",
        "2030-01-01",
        Status::Valid,
        &["check-registration", "renew-later"],
        None,
    ),
];

#[test]
fn the_certificates_span_tells_an_early_renewal() {
    let policy = Policy::default();
    for &(issued, expires, today, status, want, source) in SPAN {
        let f = Facts::for_expiry(d(issued), d(expires));
        let a = assess(&f, d(today), &policy);
        let case = format!("{issued}..{expires} on {today}");
        assert_eq!(a.status, status, "{case}");
        assert_eq!(ids(&a), want, "{case}");
        assert_eq!(a.certificate_expires, Some(d(expires)), "{case}");
        assert_eq!(a.card_expires.map(|c| c.source), source, "{case}");
        let text = |lang| {
            a.actions
                .iter()
                .map(|x| l10n::action(x, lang))
                .collect::<String>()
        };
        let (ja, en) = (text(Lang::Ja), text(Lang::En));
        let renews = ["renew-certificate", "renew-later"]
            .iter()
            .any(|id| all_ids(&a).contains(id));
        assert_eq!(renews, source.is_none(), "{case}");
        match source {
            Some(_) => {
                assert_eq!(a.card_expires.unwrap().date, d(expires), "{case}");
                assert!(a.card_expires.unwrap().new_card_needed, "{case}");
                // Inferred, and how to correct it: the card face, the CLI, D-Bus.
                assert_eq!(ja.matches("推定").count(), 1, "{case}: {ja}");
                assert!(en.contains("inferred the card's expiry"), "{case}: {en}");
                for needle in ["mynawatch card-expires", "SetCardExpires", "--card-expires"] {
                    assert!(
                        ja.contains(needle) && en.contains(needle),
                        "{case}: {needle}"
                    );
                }
                assert!(
                    !ja.contains("と同じなら、更新ではなく新しいカード"),
                    "{case}: {ja}"
                );
            }
            None => {
                assert_eq!(a.card_expires, None, "{case}");
                // Said once, briefly: compare with the card face.
                assert_eq!(
                    ja.matches("と同じなら、更新ではなく新しいカード").count(),
                    1,
                    "{case}: {ja}"
                );
                assert_eq!(
                    en.matches("expiry printed on your card").count(),
                    1,
                    "{case}"
                );
                for needle in ["18歳未満", "在留期間", "mynawatch card-expires"] {
                    assert!(ja.contains(needle), "{case}: {needle} in {ja}");
                }
            }
        }
        // The grace end is the latest possible day, never a promise.
        assert!(!en.to_lowercase().contains("safe"), "{case}: {en}");
        assert!(!ja.contains("安心"), "{case}: {ja}");
    }
}

#[test]
fn the_user_given_card_expiry_wins_over_the_inference() {
    let policy = Policy::default();
    let renewed_early = Facts::for_expiry(d("2021-04-01"), d("2026-06-20"));
    // The user says the card runs to 2031: a renewal is possible after all.
    let told = Facts {
        card_expires: Some(d("2031-06-20")),
        ..renewed_early.clone()
    };
    let a = assess(&told, d("2026-04-01"), &policy);
    assert_eq!(ids(&a), ["renew-certificate", "check-registration"]);
    let card = a.card_expires.unwrap();
    assert_eq!(
        (card.date, card.source),
        (d("2031-06-20"), CardExpirySource::User)
    );
    assert!(!card.new_card_needed);
    assert!(!a.actions[0].ja().contains("推定"), "{}", a.actions[0].ja());
    // Told the same day: a new card, but nothing "inferred" about it; the foreign-resident route
    // (the card may end with a period of stay) is mentioned.
    let same = Facts {
        card_expires: Some(d("2026-06-20")),
        ..renewed_early.clone()
    };
    let a = assess(&same, d("2026-04-01"), &policy);
    assert_eq!(a.card_expires.unwrap().source, CardExpirySource::User);
    assert_eq!(a.actions[0].id(), "apply-new-card");
    assert!(!a.actions[0].ja().contains("推定"));
    assert!(
        a.actions[0].ja().contains("在留期間"),
        "{}",
        a.actions[0].ja()
    );
    // A short span and the user telling the card ends with it (e.g. a card applied for under 18).
    let minor = Facts {
        card_expires: Some(d("2026-06-20")),
        ..Facts::for_expiry(d("2021-07-01"), d("2026-06-20"))
    };
    assert_eq!(
        assess(&minor, d("2026-04-01"), &policy).actions[0].id(),
        "apply-new-card"
    );
}

#[test]
fn the_new_card_steps_carry_the_facts_of_a_card_expiry() {
    let policy = Policy::default();
    let f = Facts::for_expiry(d("2021-04-01"), d("2026-06-20"));
    let a = assess(&f, d("2026-03-25"), &policy);
    let apply = &a.actions[0];
    assert_eq!(apply.id(), "apply-new-card");
    for needle in [
        "交付申請書",
        "スマートフォン",
        "証明写真機",
        "郵送",
        "1〜2か月",
        "はがき",
        "窓口で受け取ります",
        "特急発行",
        "予約",
        "2026年4月21日ごろまでに",
    ] {
        assert!(apply.ja().contains(needle), "{needle}: {}", apply.ja());
    }
    for needle in [
        "application form",
        "photo booth",
        "postcard",
        "特急発行",
        "book early",
        "by about 2026-04-21",
    ] {
        assert!(apply.en().contains(needle), "{needle}: {}", apply.en());
    }
    let meanwhile = &a.actions[1];
    assert_eq!(meanwhile.id(), "new-card-insurance");
    for needle in [
        "資格確認書",
        "申請",
        "マイナポータル",
        "登録済",
        "2026年9月30日",
    ] {
        assert!(
            meanwhile.ja().contains(needle),
            "{needle}: {}",
            meanwhile.ja()
        );
    }
    assert!(
        meanwhile.en().contains("at the latest until 2026-09-30"),
        "{}",
        meanwhile.en()
    );
    // Applications open on the day after the date 3 months before the card's expiry.
    let card = a.card_expires.unwrap();
    assert_eq!(card.applications_open, d("2026-03-21"));
    assert_eq!(card.apply_by, d("2026-04-21"));
    assert!(headline(&a, Lang::En).contains("apply for a new card"));
    assert!(headline(&a, Lang::Ja).contains("新しいカード"));
    let grace = assess(&f, d("2026-07-01"), &policy);
    assert!(
        headline(&grace, Lang::En).contains("apply for a new card"),
        "{}",
        headline(&grace, Lang::En)
    );
    assert!(headline(&grace, Lang::En).contains("at the latest until 2026-09-30"));
    // Milestones: applications open, apply by — as well as the expiry ones.
    use MilestoneKind::*;
    let ms = milestones(&f, &policy);
    assert!(
        ms.contains(&mk("2026-03-21", NewCardApplicationsOpen)),
        "{ms:?}"
    );
    assert!(ms.contains(&mk("2026-04-21", NewCardApplyBy)), "{ms:?}");
    assert!(ms.contains(&mk("2026-06-19", BeforeExpiry(1))), "{ms:?}");
    assert_eq!(
        due_milestone(&f, d("2026-03-21"), &policy, None),
        Some(mk("2026-03-21", NewCardApplicationsOpen))
    );
    // A first certificate has no new-card milestones.
    let first = Facts::for_expiry(d("2021-07-01"), d("2026-06-20"));
    assert!(!milestones(&first, &policy)
        .iter()
        .any(|m| matches!(m.kind, NewCardApplicationsOpen | NewCardApplyBy)));
}

#[test]
fn renewal_and_new_card_steps_say_to_book_early() {
    let policy = Policy::default();
    for (f, today) in [
        (facts("2026-09-24"), "2026-07-01"),
        (facts("2026-09-24"), "2026-10-01"),
        (facts("2026-09-24"), "2027-02-01"),
        (
            Facts::for_expiry(d("2021-04-01"), d("2026-06-20")),
            "2026-04-01",
        ),
        (
            Facts::for_expiry(d("2021-04-01"), d("2026-06-20")),
            "2026-07-01",
        ),
    ] {
        let a = assess(&f, d(today), &policy);
        let first = &a.actions[0];
        assert!(first.ja().contains("早めに予約"), "{today}: {}", first.ja());
        assert!(first.en().contains("book early"), "{today}: {}", first.en());
    }
}

#[test]
fn a_pin_one_wrong_entry_from_locking_is_a_step() {
    let policy = Policy::default();
    let f = Facts {
        registered: Registration::Yes,
        pins: PinCounters {
            auth: Some(PinState::Remaining(1)),
            sign: Some(PinState::Remaining(1)),
            card_info: Some(PinState::Remaining(2)),
        },
        ..facts("2027-09-24")
    };
    let a = assess(&f, d("2027-07-01"), &policy);
    assert_eq!(ids(&a), ["renew-certificate", "pin-last-try"]);
    let step = &a.actions[1];
    assert!(
        step.ja().contains("あと1回")
            && step.ja().contains("利用者証明用")
            && step.ja().contains("署名用")
    );
    assert!(!step.ja().contains("券面事項"), "{}", step.ja());
    assert!(step.en().contains("municipal office"), "{}", step.en());
    assert_eq!(a.pin_actions().len(), 1);
    // Blocked and last-try together; the PIN steps come out in order.
    let both = Facts {
        pins: PinCounters {
            auth: Some(PinState::Blocked),
            sign: Some(PinState::Remaining(1)),
            card_info: None,
        },
        ..f.clone()
    };
    let a = assess(&both, d("2027-01-01"), &policy);
    let pin_ids: Vec<_> = a.pin_actions().iter().map(|a| a.id()).collect();
    assert_eq!(pin_ids, ["reset-pin-auth", "pin-last-try"]);
    // Nothing to say with tries to spare.
    let fine = Facts {
        pins: PinCounters {
            auth: Some(PinState::Remaining(3)),
            sign: Some(PinState::Remaining(2)),
            card_info: Some(PinState::Verified),
        },
        ..f
    };
    assert!(assess(&fine, d("2027-01-01"), &policy)
        .pin_actions()
        .is_empty());
}

#[test]
fn a_pin_is_news_only_when_it_gets_worse() {
    let pins = |auth, sign| PinCounters {
        auth,
        sign,
        card_info: Some(PinState::Remaining(3)),
    };
    let r = |n| Some(PinState::Remaining(n));
    let blocked = Some(PinState::Blocked);
    assert!(pins(r(1), r(5)).newly_at_risk(&pins(r(3), r(5))));
    assert!(pins(blocked, r(5)).newly_at_risk(&pins(r(1), r(5))));
    assert!(pins(r(3), blocked).newly_at_risk(&PinCounters::default()));
    assert!(!pins(r(1), r(5)).newly_at_risk(&pins(r(1), r(5))));
    assert!(!pins(r(3), r(5)).newly_at_risk(&pins(blocked, r(5))));
    assert!(!pins(r(2), r(4)).newly_at_risk(&pins(r(3), r(5))));
    assert!(!PinCounters::default().newly_at_risk(&pins(blocked, blocked)));
}

#[test]
fn blocked_pins_say_which_where_and_that_the_clinic_still_works() {
    let policy = Policy::default();
    let f = Facts {
        registered: Registration::Yes,
        pins: PinCounters {
            auth: Some(PinState::Blocked),
            sign: Some(PinState::Remaining(5)),
            card_info: Some(PinState::Blocked),
        },
        ..facts("2027-09-24")
    };
    let a = assess(&f, d("2027-01-01"), &policy);
    assert_eq!(
        ids(&a),
        ["reset-pin-auth", "reset-pin-card-info", "renew-later"]
    );
    let auth = &a.actions[0];
    assert!(auth.en().contains("face recognition") && auth.en().contains("municipal office"));
    assert!(auth.en().contains("convenience store"), "{}", auth.en());
    assert!(
        auth.ja().contains("顔認証") && auth.ja().contains("コンビニ"),
        "{}",
        auth.ja()
    );
    assert!(a.actions[1]
        .en()
        .contains("cannot be reset at a convenience store"));
    // Once the certificate has expired, no convenience-store reset.
    let expired = assess(&f, d("2027-10-01"), &policy);
    let auth = expired
        .actions
        .iter()
        .find(|a| a.id() == "reset-pin-auth")
        .unwrap();
    assert!(!auth.en().contains("convenience store ("), "{}", auth.en());
}

#[test]
fn nothing_to_judge_is_not_a_my_number_card() {
    let policy = Policy::default();
    let today = d("2026-01-01");
    let juki = Facts {
        token: TokenKind::JukiCard,
        ..facts("2027-09-24")
    };
    let no_cert = Facts {
        cert: None,
        ..facts("2027-09-24")
    };
    let phone = Facts {
        token: TokenKind::SmartphoneIos,
        ..facts("2027-09-24")
    };
    for (f, id) in [
        (juki, "get-my-number-card"),
        (no_cert, "issue-certificate"),
        (phone, "use-physical-card"),
    ] {
        let a = assess(&f, today, &policy);
        assert_eq!(a.status, Status::NotAMyNumberCard);
        assert_eq!((a.certificate_expires, a.days_left), (None, None));
        assert_eq!(ids(&a), [id]);
        assert!(milestones(&f, &policy).is_empty());
        assert!(!headline(&a, Lang::Ja).is_empty());
    }
}

#[test]
fn dated_measures_show_only_while_in_force() {
    let policy = Policy::default();
    let f = facts("2025-06-30"); // grace ended 2025-09-30
    let a = assess(&f, d("2026-03-31"), &policy);
    assert!(all_ids(&a).contains(&"measure-expired-insurance-card-until-2026-03-31"));
    assert!(all_ids(&a).contains(&"measure-koki-eligibility-certificate-until-2026-07-31"));
    // Extended on 2026-03-19 to 2026-07-31 (the id keeps its old date).
    let a = assess(&f, d("2026-05-01"), &policy);
    let measure = a
        .actions
        .iter()
        .find(|a| a.id() == "measure-expired-insurance-card-until-2026-03-31")
        .expect("shown on 2026-05-01");
    assert!(measure.ja().contains("2026年7月31日"), "{}", measure.ja());
    assert!(measure.en().contains("2026-07-31"), "{}", measure.en());
    let a = assess(&f, d("2026-07-31"), &policy);
    assert!(all_ids(&a).contains(&"measure-expired-insurance-card-until-2026-03-31"));
    let a = assess(&f, d("2026-08-01"), &policy);
    assert!(!all_ids(&a).contains(&"measure-expired-insurance-card-until-2026-03-31"));
    assert!(!all_ids(&a).contains(&"measure-koki-eligibility-certificate-until-2026-07-31"));
    assert!(all_ids(&a).contains(&"measure-koki-eligibility-certificate-from-2026-08-01"));
    // The 後期 rule from 2026-08-01 is sourced for one year only.
    let a = assess(&f, d("2027-08-01"), &policy);
    assert!(!all_ids(&a).iter().any(|id| id.starts_with("measure-")));
    // Not shown to someone whose certificate is fine.
    let a = assess(&facts("2030-01-01"), d("2026-03-01"), &policy);
    assert!(!all_ids(&a).iter().any(|id| id.starts_with("measure-")));
}

#[test]
fn headlines_in_both_languages() {
    let policy = Policy::default();
    let f = facts("2026-09-24");
    let at = |t: &str| assess(&f, d(t), &policy);
    assert_eq!(
        headline(&at("2026-07-06"), Lang::Ja),
        "電子証明書の更新手続きができます（あと80日）"
    );
    assert_eq!(
        headline(&at("2026-07-06"), Lang::En),
        "You can renew your certificate now (80 days left)"
    );
    assert_eq!(
        headline(&at("2026-09-24"), Lang::En),
        "You can renew your certificate now (today is the last day)"
    );
    assert_eq!(
        headline(&at("2026-01-01"), Lang::En),
        "Your certificate is valid (266 days left)"
    );
    assert!(headline(&at("2026-10-01"), Lang::Ja).contains("2026年12月31日まで"));
    assert!(headline(&at("2026-10-01"), Lang::En).contains("until 2026-12-31"));
    assert!(headline(&at("2027-01-01"), Lang::En).contains("cancelled"));
}

fn mk(date: &str, kind: MilestoneKind) -> Milestone {
    Milestone {
        date: d(date),
        kind,
    }
}

#[test]
fn milestones_follow_the_thresholds() {
    use MilestoneKind::*;
    let policy = Policy::default();
    let ms = milestones(&facts("2026-09-24"), &policy);
    assert_eq!(ms.first(), Some(&mk("2026-06-26", BeforeExpiry(90))));
    assert!(ms.contains(&mk("2026-09-23", BeforeExpiry(1))));
    assert!(ms.contains(&mk("2026-09-25", Expired)));
    assert!(ms.contains(&mk("2026-10-02", BeforeGraceEnd(90))));
    assert!(ms.contains(&mk("2026-12-30", BeforeGraceEnd(1))));
    assert_eq!(ms.last(), Some(&mk("2027-01-01", Lapsed)));
    assert_eq!(ms.len(), 16);
    // January expiry: the 90-days-before-grace-end reminder would fall before the expiry; dropped.
    let ms = milestones(&facts("2026-01-31"), &policy);
    assert!(!ms.iter().any(|m| m.kind == BeforeGraceEnd(90)), "{ms:?}");
}

#[test]
fn a_daemon_off_for_a_week_notifies_once() {
    use MilestoneKind::*;
    let policy = Policy::default();
    let f = facts("2026-09-24");
    let last = mk("2026-09-10", BeforeExpiry(14));
    // Off from 09-10 to 09-24: 7, 3 and 1 days before were all missed; only the newest is due.
    let due = due_milestone(&f, d("2026-09-24"), &policy, Some(&last));
    assert_eq!(due, Some(mk("2026-09-23", BeforeExpiry(1))));
    assert_eq!(
        due_milestone(&f, d("2026-09-24"), &policy, due.as_ref()),
        None
    );
    // Nothing new yet on the day after the last notification.
    assert_eq!(
        due_milestone(&f, d("2026-09-11"), &policy, Some(&last)),
        None
    );
    // First run long after everything: one notification, the lapse.
    assert_eq!(
        due_milestone(&f, d("2027-06-01"), &policy, None),
        Some(mk("2027-01-01", Lapsed))
    );
    // First run with years to go: nothing due, the scheduler waits for 90 days before.
    assert_eq!(due_milestone(&f, d("2024-01-01"), &policy, None), None);
    assert_eq!(
        next_milestone(&f, d("2024-01-01"), &policy),
        Some(mk("2026-06-26", BeforeExpiry(90)))
    );
    assert_eq!(
        next_milestone(&f, d("2026-09-23"), &policy),
        Some(mk("2026-09-25", Expired))
    );
    assert_eq!(next_milestone(&f, d("2027-01-01"), &policy), None);
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    // 1990-01-01 .. about 2100.
    (726_468i32..766_645).prop_map(|n| NaiveDate::from_num_days_from_ce_opt(n).unwrap())
}

fn any_facts() -> impl Strategy<Value = Facts> {
    (
        any_date(),
        proptest::option::of(-400i64..4000),
        prop_oneof![
            Just(Registration::Yes),
            Just(Registration::No),
            Just(Registration::Unknown)
        ],
        any::<[bool; 3]>(),
        1400u64..2000,
    )
        .prop_map(|(not_after, card, registered, blocked, span)| {
            let pin = |b: bool| {
                Some(if b {
                    PinState::Blocked
                } else {
                    PinState::Remaining(3)
                })
            };
            Facts {
                token: TokenKind::MyNumberCard,
                cert: Some(CertValidity {
                    not_before: not_after - chrono::Days::new(span),
                    not_after,
                }),
                card_expires: card.map(|days| not_after + chrono::TimeDelta::days(days)),
                registered,
                pins: PinCounters {
                    auth: pin(blocked[0]),
                    sign: pin(blocked[1]),
                    card_info: pin(blocked[2]),
                },
            }
        })
}

fn any_policy() -> impl Strategy<Value = Policy> {
    (
        0u32..13,
        0u32..13,
        proptest::collection::vec(0u32..400, 0..8),
        proptest::collection::vec(0u32..400, 0..8),
    )
        .prop_map(|(window, grace, before_expiry, before_grace)| Policy {
            renewal_window_months: window,
            insurance_grace_months_after_expiry_month: grace,
            reminder_days_before_expiry: before_expiry,
            reminder_days_before_grace_end: before_grace,
            ..Policy::default()
        })
}

proptest! {
    #[test]
    fn status_never_goes_backwards(f in any_facts(), p in any_policy(), t in any_date(), step in 0u64..800) {
        let later = t + chrono::Days::new(step);
        let (a, b) = (assess(&f, t, &p), assess(&f, later, &p));
        prop_assert!(a.status <= b.status, "{:?} on {t} then {:?} on {later}", a.status, b.status);
    }

    #[test]
    fn dates_are_ordered_and_exactly_one_status_holds(f in any_facts(), p in any_policy(), t in any_date()) {
        let a = assess(&f, t, &p);
        let opens = a.renewal_opens.unwrap();
        let expires = a.certificate_expires.unwrap();
        let until = a.insurance_usable_until.unwrap();
        // With a zero-month grace and a month-end expiry the grace period is empty: `expires == until`.
        prop_assert!(opens <= expires && expires <= until, "{opens} {expires} {until}");
        if p.insurance_grace_months_after_expiry_month > 0 {
            prop_assert!(expires < until);
        }
        let holds = [
            (Status::Valid, t < opens),
            (Status::RenewalOpen, opens <= t && t <= expires),
            (Status::ExpiredGrace, expires < t && t <= until),
            (Status::RegistrationLapsed, until < t),
        ];
        prop_assert_eq!(holds.iter().filter(|(_, h)| *h).count(), 1);
        prop_assert!(holds.iter().any(|&(s, h)| h && s == a.status));
        // Actions: never empty, ids unique, both languages filled in.
        prop_assert!(!a.actions.is_empty());
        let mut seen = std::collections::HashSet::new();
        for act in &a.actions {
            prop_assert!(seen.insert(act.id().to_owned()), "duplicate {}", act.id());
            prop_assert!(!act.ja().is_empty() && !act.en().is_empty());
        }
        if a.status >= Status::RenewalOpen {
            prop_assert!(["renew-certificate", "apply-new-card"].contains(&a.actions[0].id()));
        }
    }

    #[test]
    fn milestones_are_sorted_and_due_is_always_newer(
        f in any_facts(), p in any_policy(), t in any_date(), last_index in proptest::option::of(0usize..20),
    ) {
        let ms = milestones(&f, &p);
        prop_assert!(ms.windows(2).all(|w| w[0] < w[1]), "{ms:?}");
        prop_assert!(ms.windows(2).all(|w| w[0].date <= w[1].date));
        let last = last_index.and_then(|i| ms.get(i)).copied();
        if let Some(due) = due_milestone(&f, t, &p, last.as_ref()) {
            prop_assert!(due.date <= t);
            if let Some(last) = last {
                prop_assert!(due > last);
            }
            // Notifying it settles the day.
            prop_assert_eq!(due_milestone(&f, t, &p, Some(&due)), None);
        }
        if let Some(next) = next_milestone(&f, t, &p) {
            prop_assert!(next.date > t);
        }
    }

    #[test]
    fn extreme_dates_never_panic(days in any::<i32>(), today in any::<i32>()) {
        let clamp = |n: i32| NaiveDate::from_num_days_from_ce_opt(n).unwrap_or(NaiveDate::MAX);
        let f = Facts::for_expiry(clamp(days), clamp(days));
        let a = assess(&f, clamp(today), &Policy::default());
        let _ = headline(&a, Lang::Ja);
        let _ = due_milestone(&f, clamp(today), &Policy::default(), None);
    }
}
