//! Black-box tests of `mynawatch check`: the boundary table in both languages, real certificate
//! files (DER and PEM, made with rcgen), and bad input (one line on stderr, exit code 2).

mod support;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use support::{bin, neutral_env};

/// Run `mynawatch check ARGS` with a neutral locale unless the test sets one.
fn check(args: &[&str]) -> Output {
    check_env(args, &[])
}

fn check_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    neutral_env(&mut cmd).arg("check").args(args);
    cmd.envs(env.iter().copied());
    cmd.output().expect("run mynawatch")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 stderr")
}

fn json(o: &Output) -> Value {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(o));
    assert_eq!(stderr(o), "", "no diagnostics on success");
    serde_json::from_str(&stdout(o)).expect("stdout is one JSON object")
}

/// `check --cert PATH --today TODAY --json`, parsed.
fn judge_cert(path: &str, today: &str) -> Value {
    json(&check(&["--cert", path, "--today", today, "--json"]))
}

fn action_ids(v: &Value) -> Vec<String> {
    v["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Bad input: nothing on stdout, exactly one line on stderr containing `needle`, exit code 2.
fn assert_bad_input(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(o));
    assert_eq!(stdout(o), "");
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "one line on stderr, got {err:?}");
    assert!(err.contains(needle), "{needle:?} not in {err:?}");
    assert!(!err.contains("panicked"), "{err}");
}

/// (expiry, today, status, renewal opens, usable until, days left)
const BOUNDARIES: &[(&str, &str, &str, &str, &str, i64)] = &[
    (
        "2020-09-24",
        "2020-06-24",
        "valid",
        "2020-06-25",
        "2020-12-31",
        92,
    ),
    (
        "2020-09-24",
        "2020-06-25",
        "renewal-open",
        "2020-06-25",
        "2020-12-31",
        91,
    ),
    (
        "2020-09-24",
        "2020-09-24",
        "renewal-open",
        "2020-06-25",
        "2020-12-31",
        0,
    ),
    (
        "2020-09-24",
        "2020-09-25",
        "expired-grace",
        "2020-06-25",
        "2020-12-31",
        97,
    ),
    (
        "2020-09-24",
        "2020-12-31",
        "expired-grace",
        "2020-06-25",
        "2020-12-31",
        0,
    ),
    (
        "2020-09-24",
        "2021-01-01",
        "registration-lapsed",
        "2020-06-25",
        "2020-12-31",
        -1,
    ),
    (
        "2026-05-31",
        "2026-02-28",
        "valid",
        "2026-03-01",
        "2026-08-31",
        92,
    ),
    (
        "2026-05-31",
        "2026-03-01",
        "renewal-open",
        "2026-03-01",
        "2026-08-31",
        91,
    ),
    (
        "2026-02-10",
        "2026-05-31",
        "expired-grace",
        "2025-11-11",
        "2026-05-31",
        0,
    ),
    (
        "2026-02-10",
        "2026-06-01",
        "registration-lapsed",
        "2025-11-11",
        "2026-05-31",
        -1,
    ),
    (
        "2028-02-29",
        "2027-11-29",
        "valid",
        "2027-11-30",
        "2028-05-31",
        92,
    ),
    (
        "2028-02-29",
        "2027-11-30",
        "renewal-open",
        "2027-11-30",
        "2028-05-31",
        91,
    ),
    (
        "2028-02-29",
        "2028-02-29",
        "renewal-open",
        "2027-11-30",
        "2028-05-31",
        0,
    ),
    (
        "2028-02-29",
        "2028-03-01",
        "expired-grace",
        "2027-11-30",
        "2028-05-31",
        91,
    ),
    (
        "2028-02-29",
        "2028-05-31",
        "expired-grace",
        "2027-11-30",
        "2028-05-31",
        0,
    ),
    (
        "2028-02-29",
        "2028-06-01",
        "registration-lapsed",
        "2027-11-30",
        "2028-05-31",
        -1,
    ),
];

#[test]
fn json_answers_the_boundary_table() {
    for &(expires, today, status, opens, until, days) in BOUNDARIES {
        let v = json(&check(&["--expires", expires, "--today", today, "--json"]));
        let case = format!("expiry {expires}, today {today}");
        assert_eq!(v["status"], status, "{case}");
        assert_eq!(v["certificate_expires"], expires, "{case}");
        assert_eq!(v["renewal_opens"], opens, "{case}");
        assert_eq!(v["insurance_usable_until"], until, "{case}");
        assert_eq!(v["days_left"], days, "{case}");
        for a in v["actions"].as_array().unwrap() {
            for key in ["id", "ja", "en"] {
                assert!(!a[key].as_str().unwrap().is_empty(), "{case}: empty {key}");
            }
        }
    }
}

/// The headline and the first next step, in each language, for each status.
#[test]
fn human_output_for_every_status_in_both_languages() {
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "2026-06-24",
            "valid",
            "電子証明書は有効です（有効期限まであと92日）",
            "Your certificate is valid (92 days left)",
        ),
        (
            "2026-07-06",
            "renewal-open",
            "電子証明書の更新手続きができます（あと80日）",
            "You can renew your certificate now (80 days left)",
        ),
        (
            "2026-09-25",
            "expired-grace",
            "マイナ保険証は長くて2026年12月31日まで資格確認のみ、あと97日）",
            "works for eligibility checks only, at the latest until 2026-12-31; 97 days left)",
        ),
        (
            "2027-01-01",
            "registration-lapsed",
            "猶予期間が終わり、健康保険証の利用登録は解除されています",
            "The grace period is over: the health-insurance registration has been cancelled",
        ),
    ];
    for &(today, status, ja, en) in cases {
        let args = ["--expires", "2026-09-24", "--today", today];
        let out_ja = check(&[&args[..], &["--lang", "ja"]].concat());
        let out_en = check(&[&args[..], &["--lang", "en"]].concat());
        for o in [&out_ja, &out_en] {
            assert_eq!(o.status.code(), Some(0), "{status}: {}", stderr(o));
            assert_eq!(stderr(o), "");
        }
        let (ja_text, en_text) = (stdout(&out_ja), stdout(&out_en));
        assert!(
            ja_text.lines().next().unwrap().contains(ja),
            "{status}: {ja_text}"
        );
        assert!(
            en_text.lines().next().unwrap().contains(en),
            "{status}: {en_text}"
        );
        assert!(ja_text.contains("次にすること：\n 1. "), "{ja_text}");
        assert!(en_text.contains("Next steps:\n 1. "), "{en_text}");
        assert!(
            ja_text.contains("電子証明書の有効期限：2026年9月24日"),
            "{ja_text}"
        );
        assert!(
            en_text.contains("Certificate expires: 2026-09-24"),
            "{en_text}"
        );
        assert!(
            !en_text.contains("次にすること"),
            "no Japanese chrome in English: {en_text}"
        );
    }
}

#[test]
fn human_output_names_the_renewal_window_and_the_days() {
    let o = check(&[
        "--expires",
        "2026-09-24",
        "--today",
        "2026-07-06",
        "--lang",
        "en",
    ]);
    let text = stdout(&o);
    assert!(
        text.contains("Renewal possible: from about 2026-06-25"),
        "{text}"
    );
    assert!(
        text.contains("Days left: 80 (until the certificate expires)"),
        "{text}"
    );
    assert!(
        text.contains(" 1. Renew the electronic certificate by 2026-09-24"),
        "{text}"
    );
    assert!(
        text.contains(" 2. Check whether the card is registered"),
        "{text}"
    );

    let o = check(&[
        "--expires",
        "2026-09-24",
        "--today",
        "2027-01-05",
        "--lang",
        "ja",
    ]);
    let text = stdout(&o);
    assert!(text.contains("猶予期間の終了から：5日経過"), "{text}");
    assert!(text.contains("もう一度利用登録してください"), "{text}");
    assert!(text.contains("資格確認書"), "{text}");
}

#[test]
fn language_defaults_to_the_locale_then_japanese() {
    let args = ["--expires", "2026-09-24", "--today", "2026-07-06"];
    let en = stdout(&check_env(&args, &[("LANG", "en_US.UTF-8")]));
    assert!(en.starts_with("You can renew"), "{en}");
    let ja = stdout(&check_env(
        &args,
        &[("LANG", "en_US.UTF-8"), ("LC_ALL", "ja_JP.UTF-8")],
    ));
    assert!(ja.starts_with("電子証明書の更新手続き"), "{ja}");
    let none = stdout(&check(&args));
    assert!(none.starts_with("電子証明書の更新手続き"), "{none}");
    let flag = stdout(&check_env(
        &[&args[..], &["--lang", "en"]].concat(),
        &[("LANG", "ja_JP.UTF-8")],
    ));
    assert!(flag.starts_with("You can renew"), "{flag}");
}

#[test]
fn registration_and_card_expiry_change_the_next_steps() {
    let base = ["--expires", "2026-09-24", "--today", "2026-07-06", "--json"];
    let v = json(&check(&[&base[..], &["--registered", "no"]].concat()));
    assert_eq!(action_ids(&v), ["renew-certificate", "register-insurance"]);
    let v = json(&check(&[&base[..], &["--registered", "yes"]].concat()));
    assert_eq!(action_ids(&v), ["renew-certificate"]);
    let v = json(&check(&base));
    assert_eq!(action_ids(&v), ["renew-certificate", "check-registration"]);
    let v = json(&check(
        &[
            &base[..],
            &["--registered", "yes", "--card-expires", "2026-09-24"],
        ]
        .concat(),
    ));
    assert_eq!(action_ids(&v), ["apply-new-card", "new-card-insurance"]);
    assert!(v["actions"][0]["en"]
        .as_str()
        .unwrap()
        .contains("1–2 months"));
}

/// The certificate's span, through `check --expires … --issued …` (the same cases as the rule core's
/// table): (issued, expires, today, status, first action, card expiry source or null).
type SpanCase = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);
const SPAN: &[SpanCase] = &[
    (
        "2021-04-01",
        "2026-06-20",
        "2025-01-01",
        "valid",
        "check-registration",
        Some("certificate-span"),
    ),
    (
        "2021-04-01",
        "2026-06-20",
        "2026-04-01",
        "renewal-open",
        "apply-new-card",
        Some("certificate-span"),
    ),
    (
        "2021-04-01",
        "2026-06-20",
        "2026-07-15",
        "expired-grace",
        "apply-new-card",
        Some("certificate-span"),
    ),
    (
        "2021-04-01",
        "2026-06-20",
        "2027-06-01",
        "registration-lapsed",
        "apply-new-card",
        Some("certificate-span"),
    ),
    (
        "2026-11-01",
        "2032-01-15",
        "2026-12-01",
        "valid",
        "check-registration",
        Some("certificate-span"),
    ),
    (
        "2021-06-21",
        "2026-06-20",
        "2026-04-01",
        "renewal-open",
        "renew-certificate",
        None,
    ),
    (
        "2021-06-20",
        "2026-06-20",
        "2026-04-01",
        "renewal-open",
        "renew-certificate",
        None,
    ),
];

#[test]
fn the_certificates_span_through_check() {
    for &(issued, expires, today, status, first, source) in SPAN {
        let case = format!("{issued}..{expires} on {today}");
        let v = json(&check(&[
            "--issued",
            issued,
            "--expires",
            expires,
            "--today",
            today,
            "--json",
        ]));
        assert_eq!(v["status"], status, "{case}");
        let ids = action_ids(&v);
        assert_eq!(ids[0], first, "{case}: {ids:?}");
        assert_eq!(
            v["card_expires"]["source"].as_str(),
            source,
            "{case}: {}",
            v["card_expires"]
        );
        let renews = ids
            .iter()
            .any(|i| i == "renew-certificate" || i == "renew-later");
        assert_eq!(renews, source.is_none(), "{case}: {ids:?}");
        if source.is_some() {
            assert_eq!(v["card_expires"]["date"], expires, "{case}");
            assert!(
                ids.iter()
                    .any(|i| i == "apply-new-card" || i == "new-card-later"),
                "{case}: {ids:?}"
            );
        }
    }
    // The user's card expiry wins over the inference.
    let v = json(&check(&[
        "--issued",
        "2021-04-01",
        "--expires",
        "2026-06-20",
        "--card-expires",
        "2031-06-20",
        "--today",
        "2026-04-01",
        "--json",
    ]));
    assert_eq!(action_ids(&v)[0], "renew-certificate");
    assert_eq!(v["card_expires"]["source"], "user");
    // The human output says the card date was inferred, and when to apply.
    for (lang, says) in [
        (
            "ja",
            [
                "カードの有効期限：2026年6月20日（電子証明書の有効期間から推定）",
                "新しいカードの申請：2026年3月21日ごろから（2026年4月21日ごろまでに）",
            ],
        ),
        (
            "en",
            [
                "Card expires: 2026-06-20 (inferred from the certificate)",
                "New card applications: from about 2026-03-21 (apply by about 2026-04-21)",
            ],
        ),
    ] {
        let text = stdout(&check(&[
            "--issued",
            "2021-04-01",
            "--expires",
            "2026-06-20",
            "--today",
            "2026-03-01",
            "--lang",
            lang,
        ]));
        for line in says {
            assert!(text.contains(line), "{text}");
        }
    }
}

/// The extended measure: shown on 2026-05-01, gone on 2026-08-01.
#[test]
fn the_expired_insurance_card_measure_ran_until_2026_07_31() {
    let id = "measure-expired-insurance-card-until-2026-03-31";
    let at = |today| {
        let v = json(&check(&[
            "--expires",
            "2025-10-31",
            "--today",
            today,
            "--json",
        ]));
        action_ids(&v)
    };
    assert!(at("2026-05-01").iter().any(|i| i == id));
    assert!(at("2026-07-31").iter().any(|i| i == id));
    assert!(!at("2026-08-01").iter().any(|i| i == id));
}

/// A certificate valid from `not_before` to `not_after` (`YYYY-MM-DDTsecs`, seconds after
/// midnight UTC) written to `dir/name`: PEM when the name ends in `.pem`, else DER.
fn write_cert(dir: &Path, name: &str, not_before: &str, not_after: &str) -> String {
    let at = |s: &str| {
        let (date, secs) = s.split_once('T').unwrap();
        let mut ymd = date.split('-').map(|n| n.parse::<u32>().unwrap());
        let (y, m, d) = (
            ymd.next().unwrap(),
            ymd.next().unwrap(),
            ymd.next().unwrap(),
        );
        rcgen::date_time_ymd(y as i32, m as u8, d as u8)
            + std::time::Duration::from_secs(secs.parse().unwrap())
    };
    // Shaped like a JPKI user-authentication certificate (issuer, digitalSignature, not a CA), since
    // `check --cert` refuses anything else.
    let key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::default();
    ca.distinguished_name.push(rcgen::DnType::CountryName, "JP");
    ca.distinguished_name
        .push(rcgen::DnType::OrganizationName, "JPKI");
    ca.distinguished_name.push(
        rcgen::DnType::OrganizationalUnitName,
        "JPKI for user authentication",
    );
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let issuer = rcgen::Issuer::new(ca, &key);
    let mut params = rcgen::CertificateParams::default();
    params.not_before = at(not_before);
    params.not_after = at(not_after);
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    let cert = params.signed_by(&key, &issuer).unwrap();
    let path = dir.join(name);
    if name.ends_with(".pem") {
        std::fs::write(&path, cert.pem()).unwrap();
    } else {
        std::fs::write(&path, cert.der().as_ref()).unwrap();
    }
    path.to_str().unwrap().to_owned()
}

/// Seconds after midnight UTC: 14:59:59Z is 23:59:59 in Japan; 15:00:00Z is already the next day.
const END_OF_JST_DAY: &str = "53999";
const NEXT_JST_DAY: &str = "54000";
/// The usual certificate's five years, in Japan from 2021-09-24 00:00 to 2026-09-24 23:59:59.
const USUAL_FROM: &str = "2021-09-23T54000";
const USUAL_TO: &str = "2026-09-24T53999";

#[test]
fn der_and_pem_certificates_are_read_in_japan_time() {
    let dir = tempfile::tempdir().unwrap();
    let der = write_cert(dir.path(), "usual.der", USUAL_FROM, USUAL_TO);
    let pem = write_cert(dir.path(), "usual.pem", USUAL_FROM, USUAL_TO);
    let late = write_cert(
        dir.path(),
        "late.der",
        USUAL_FROM,
        &format!("2026-09-24T{NEXT_JST_DAY}"),
    );

    for path in [&der, &pem] {
        let v = judge_cert(path, "2026-09-24");
        assert_eq!(v["status"], "renewal-open", "{path}");
        assert_eq!(v["certificate_expires"], "2026-09-24", "{path}");
        assert_eq!(v["days_left"], 0, "{path}");
        let v = judge_cert(path, "2026-09-25");
        assert_eq!(v["status"], "expired-grace", "{path}");
    }
    // notAfter 15:00:00Z is 2026-09-25 00:00 in Japan: still valid on 09-25.
    let v = judge_cert(&late, "2026-09-25");
    assert_eq!(v["status"], "renewal-open");
    assert_eq!(v["certificate_expires"], "2026-09-25");
    assert_eq!(v["renewal_opens"], "2026-06-26");

    let o = check(&["--cert", &der, "--today", "2026-07-06", "--lang", "en"]);
    assert!(stdout(&o).starts_with("You can renew your certificate now (80 days left)"));
}

#[test]
fn leap_day_certificate_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let cert = write_cert(
        dir.path(),
        "leap.pem",
        "2023-02-28T54000",
        &format!("2028-02-29T{END_OF_JST_DAY}"),
    );
    let v = judge_cert(&cert, "2028-03-01");
    assert_eq!(v["status"], "expired-grace");
    assert_eq!(v["insurance_usable_until"], "2028-05-31");
    assert_eq!(v["days_left"], 91);
}

#[test]
fn bad_certificate_files_are_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_cert(dir.path(), "good.der", USUAL_FROM, USUAL_TO);
    let bytes = std::fs::read(&good).unwrap();

    let truncated = dir.path().join("truncated.der");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let garbage = dir.path().join("garbage.der");
    std::fs::write(&garbage, b"\x30\x82\xff\xffnot really a certificate").unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "this is a shopping list\n").unwrap();
    let empty = dir.path().join("empty.der");
    std::fs::write(&empty, b"").unwrap();
    let bad_pem = dir.path().join("bad.pem");
    std::fs::write(
        &bad_pem,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let missing = dir.path().join("missing.der");

    for (path, needle) in [
        (&truncated, "is not an X.509 certificate"),
        (&garbage, "is not an X.509 certificate"),
        (&text, "is not an X.509 certificate"),
        (&bad_pem, "is not an X.509 certificate"),
        (&empty, "is empty"),
        (&missing, "cannot read certificate file"),
    ] {
        let p = path.to_str().unwrap();
        let o = check(&["--cert", p, "--today", "2026-01-01"]);
        assert_bad_input(&o, needle);
        assert!(stderr(&o).contains(p), "names the file: {}", stderr(&o));
    }
    // Well-formed certificates that are not a card holder's user-authentication certificate.
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jpki");
    for (name, needle) in [
        ("auth_ca_2023.pem", "it is a CA certificate"),
        ("auth_ca_2015.pem", "it is a CA certificate"),
        ("sign_ca_2023.pem", "it is a CA certificate"),
        (
            "non-jpki-leaf.pem",
            "its issuer is not the J-LIS user-authentication CA",
        ),
    ] {
        let p = format!("{fixtures}/{name}");
        let o = check(&["--cert", &p, "--today", "2026-01-01"]);
        assert_bad_input(&o, needle);
        assert!(
            stderr(&o).contains("is not the user-authentication certificate of a My Number Card"),
            "{}",
            stderr(&o)
        );
        assert!(!stdout(&o).contains("valid"), "{}", stdout(&o));
    }
    // Two certificates in one file: which one is meant is unknowable, so neither is used.
    let pem =
        std::fs::read_to_string(write_cert(dir.path(), "one.pem", USUAL_FROM, USUAL_TO)).unwrap();
    let two = dir.path().join("two.pem");
    std::fs::write(&two, format!("{pem}{pem}")).unwrap();
    assert_bad_input(
        &check(&["--cert", two.to_str().unwrap(), "--today", "2026-01-01"]),
        "more than one certificate",
    );
    // notBefore after notAfter: broken, never judged.
    let backwards = write_cert(dir.path(), "backwards.der", USUAL_TO, USUAL_FROM);
    assert_bad_input(
        &check(&["--cert", &backwards, "--today", "2026-01-01"]),
        "notBefore is after notAfter",
    );
    // A directory is not a certificate file either.
    assert_bad_input(
        &check(&["--cert", dir.path().to_str().unwrap()]),
        "cannot read certificate file",
    );
}

#[test]
fn bad_dates_and_missing_input_are_one_line_and_exit_2() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["--expires", "2026-02-30", "--today", "2026-01-01"],
            "invalid --expires \"2026-02-30\"",
        ),
        (
            &["--expires", "2026-09-24", "--today", "tomorrow"],
            "invalid --today \"tomorrow\"",
        ),
        (
            &["--expires", "2026-09-24", "--card-expires", "2027-13-01"],
            "invalid --card-expires",
        ),
        (
            &["--expires", "2026-09-24", "--issued", "2027-01-01"],
            "--issued 2027-01-01 is after --expires 2026-09-24",
        ),
        (&["--today", "2026-01-01"], "give --cert FILE or --expires"),
    ];
    for (args, needle) in cases {
        assert_bad_input(&check(args), needle);
    }
}

#[test]
fn usage_errors_exit_2_without_output() {
    let o = check(&["--expires", "2026-09-24", "--registered", "maybe"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    assert!(stderr(&o).contains("--registered"), "{}", stderr(&o));
}

/// An endless input is not read to the end: `--cert /dev/zero` (or /dev/urandom) stops at the
/// file-size bound (src/card/cert.rs `MAX_FILE_LEN`) with a clear error instead of eating memory.
#[test]
fn an_endless_certificate_file_is_refused_at_the_size_bound() {
    for dev in ["/dev/zero", "/dev/urandom"] {
        let o = check(&["--cert", dev, "--today", "2026-01-01"]);
        assert_bad_input(&o, "larger than a certificate can be");
    }
}

/// A typed expiry no My Number Card can have is refused, so no deadline comes out as
/// `0000-10-02` (the same range as D-Bus AddCard/SetCardExpires).
#[test]
fn implausible_typed_expiries_are_refused() {
    for (flag, v) in [
        ("--expires", "0001-01-01"),
        ("--expires", "1970-01-01"),
        ("--expires", "2100-01-01"),
    ] {
        let o = check(&[flag, v, "--today", "2026-01-01"]);
        assert_bad_input(
            &o,
            "is not a plausible date (expected 2016-01-01 to 2099-12-31)",
        );
    }
    let o = check(&["--expires", "2027-01-01", "--card-expires", "0000-01-01"]);
    assert_bad_input(&o, "--card-expires 0000-01-01 is not a plausible date");
}
