//! The next steps for each status, as [`Action`]s with stable ids and concrete text in Japanese and
//! English. Ids are listed in docs/rules.md; apps and tests match on them, so never rename one.

use chrono::NaiveDate;

use super::dates::{self, ordinal};
use super::model::{
    Action, CardExpirySource, Facts, Lang, PinKind, Registration, Status, TokenKind,
};
use super::policy::Policy;
use super::{CardDates, Timeline};

fn act(id: &str, ja: String, en: String) -> Action {
    Action {
        id: id.to_owned(),
        ja,
        en,
    }
}

fn ja(d: NaiveDate) -> String {
    dates::show(d, Lang::Ja)
}

fn en(d: NaiveDate) -> String {
    dates::show(d, Lang::En)
}

const WHERE_JA: &str = "お住まいの市区町村の窓口（市区町村が指定する郵便局があれば、そこでも可）";
const WHERE_EN: &str =
    "your municipal office (or a post office your municipality designates, if any)";
const BRING_JA: &str = "マイナンバーカードと2つの暗証番号（利用者証明用の4桁の数字と、署名用の6〜16桁の英数字）を持って行ってください。\
     手数料は無料です。暗証番号を忘れた場合も、その場で再設定できます。";
const BRING_EN: &str =
    "Bring the card and both PINs (the 4-digit user-authentication PIN and the 6–16-character \
     signature PIN). It is free of charge, and a forgotten PIN can be reset at the same visit.";
const AFTER_JA: &str = "更新後、保険証側に新しい証明書が反映されるまで1日ほどかかります。\
     翌日以降にマイナポータルの「健康保険証」で確認してください。";
const AFTER_EN: &str =
    "Allow about a day before health insurance sees the new certificate, then check \
     マイナポータル → 健康保険証.";
const REGISTER_WAYS_JA: &str =
    "方法は3つです：マイナポータルアプリ（NFC対応のスマートフォンとカード、4桁の暗証番号）、\
     セブン銀行ATM、医療機関・薬局の顔認証付きカードリーダー（受付でそのまま登録できます）。";
const REGISTER_WAYS_EN: &str = "Three ways: the マイナポータル app (an NFC smartphone, the card and the 4-digit PIN), \
     a Seven Bank ATM, or the face-recognition card reader at a clinic or pharmacy (you can register \
     right there at reception).";
const NEW_CARD_HOW_JA: &str = "有効期限通知書に同封の交付申請書を使い、スマートフォン・パソコン、証明写真機、郵送で申請できます。\
     交付通知書（はがき）が届いたら、市区町村の窓口で受け取ります。特急発行は有効期限による更新には使えません。";
const NEW_CARD_HOW_EN: &str =
    "Use the application form sent with the expiry notice (交付申請書): apply online by \
     smartphone or PC, at a photo booth, or by mail. A postcard (交付通知書) tells you when the card \
     is ready; you pick it up at the municipal office. Express issue (特急発行) does not cover an \
     expiring card.";
const BOOK_JA: &str =
    "窓口は予約制のところが多く、2か月先まで予約が埋まることもあるので、早めに予約してください。";
const BOOK_EN: &str =
    "Many offices work by reservation only, sometimes booked two months ahead: book early.";
/// How to tell mynawatch the card's own expiry, on every channel.
const TELL_JA: &str =
    "「mynawatch card-expires CARD YYYY-MM-DD」（check では --card-expires、D-Bus では SetCardExpires）";
const TELL_EN: &str = "mynawatch card-expires CARD YYYY-MM-DD (--card-expires with check; \
     SetCardExpires on D-Bus)";
/// Where the certificate's span cannot tell (rule: docs/rules.md "The certificate's span").
const COMPARE_JA: &str = "と同じなら、更新ではなく新しいカードの申請が必要です\
     （18歳未満で申請したカード、在留期間のある方、期限切れ後に再発行した電子証明書など）。その場合は";
const COMPARE_EN: &str = ", you need a new card instead (a card applied for under 18, a foreign \
     resident's period of stay, a certificate re-issued after it lapsed); then tell mynawatch that \
     date:";
const INFERRED_JA: &str =
    "カードの有効期限は、電子証明書の有効期間が5年を超えている（期限前に更新した証明書は\
     カードと同じ日に切れる）ことから推定しました。カード表面の有効期限と違う場合は";
const INFERRED_EN: &str =
    "mynawatch inferred the card's expiry: the certificate runs more than five \
     years, so it was renewed early and ends with the card. If the expiry printed on your card \
     differs, set it:";
const FOREIGN_JA: &str =
    "在留期間のある外国人の方は、在留期間を更新したら、カードの有効期限までに市区町村の窓口で\
     有効期間の変更を申請してください（自動では延びず、通知も届きません）。";
const FOREIGN_EN: &str =
    "Foreign residents with a period of stay: after renewing it, have the card's \
     validity changed at the municipal office before the card expires (it is not extended \
     automatically, and no notice is sent).";

/// The compare-with-the-card-face line, when the card's own expiry is unknown.
fn compare(t: &Timeline) -> (String, String) {
    if t.card.is_some() {
        return (String::new(), String::new());
    }
    (
        format!(
            "カード表面の有効期限が{}{COMPARE_JA}{TELL_JA}で日付を教えてください。",
            ja(t.expires)
        ),
        format!(
            " If the expiry printed on your card is also {}{COMPARE_EN} {TELL_EN}.",
            en(t.expires)
        ),
    )
}

/// The "this date was inferred, correct it so" line.
fn inferred(card: &CardDates) -> (String, String) {
    match card.source {
        CardExpirySource::User => (String::new(), String::new()),
        CardExpirySource::CertificateSpan => (
            format!("{INFERRED_JA}{TELL_JA}で設定してください。"),
            format!(" {INFERRED_EN} {TELL_EN}."),
        ),
    }
}

/// What fixes an expired certificate: a renewal at the counter, or a new card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fix {
    Renew,
    NewCard,
}

impl Fix {
    fn after_ja(self) -> &'static str {
        match self {
            Fix::Renew => "電子証明書を更新した後に、",
            Fix::NewCard => "新しいカードを受け取った後に、",
        }
    }

    /// Lower-case continuation: "After renewing the certificate, r…".
    fn after_en(self) -> &'static str {
        match self {
            Fix::Renew => "After renewing the certificate, ",
            Fix::NewCard => "After receiving the new card, ",
        }
    }
}

/// Next steps for a My Number Card with a certificate, most urgent first.
pub(crate) fn for_card(
    facts: &Facts,
    t: &Timeline,
    status: Status,
    today: NaiveDate,
    policy: &Policy,
) -> Vec<Action> {
    let fix = if t.new_card().is_some() {
        Fix::NewCard
    } else {
        Fix::Renew
    };
    let mut out = Vec::new();
    match status {
        Status::Valid => {
            out.extend(registration(facts.registered, None));
            out.extend(pins(facts, true));
            out.push(later(t, policy));
        }
        Status::RenewalOpen => {
            out.push(renew_or_new_card(t, status, today, policy));
            if t.new_card().is_some() {
                out.push(new_card_insurance(t, status));
            }
            out.extend(registration(facts.registered, None));
            out.extend(pins(facts, true));
        }
        Status::ExpiredGrace => {
            out.push(renew_or_new_card(t, status, today, policy));
            // With a new card coming, `new-card-insurance` already says to check the registration
            // once the card is in hand.
            let registered = match (fix, facts.registered) {
                (Fix::NewCard, Registration::Unknown) => Registration::Yes,
                (_, registered) => registered,
            };
            out.extend(registration(registered, Some(fix)));
            out.extend(pins(facts, false));
            out.push(insurer(t, status));
        }
        Status::RegistrationLapsed => {
            out.push(renew_or_new_card(t, status, today, policy));
            out.push(reregister(facts.registered, fix));
            out.push(insurer(t, status));
            out.extend(pins(facts, false));
        }
        Status::NotAMyNumberCard => {}
    }
    out.extend(
        policy
            .measures
            .iter()
            .filter(|m| m.applies(today, status))
            .map(|m| act(&m.id, m.ja.clone(), m.en.clone())),
    );
    out
}

/// The insurance step once the certificate has expired: the new-card one, or ask the insurer.
fn insurer(t: &Timeline, status: Status) -> Action {
    match t.new_card() {
        Some(_) => new_card_insurance(t, status),
        None => ask_insurer(t, status),
    }
}

/// Valid, renewal not open yet: when it will be.
fn later(t: &Timeline, policy: &Policy) -> Action {
    if let Some(card) = t.new_card() {
        let (inf_ja, inf_en) = inferred(&card);
        return act(
            "new-card-later",
            format!(
                "マイナンバーカード自体の有効期限が{}のため、電子証明書の更新ではなく新しいカードの申請が必要です。\
                 申請は{}ごろからできます（受け取りまで1〜2か月かかります）。{inf_ja}",
                ja(card.expires),
                ja(card.applications_open)
            ),
            format!(
                "Your card itself expires on {}, so you will need a new card rather than a certificate renewal. \
                 You can apply from about {} (getting the card takes 1–2 months).{inf_en}",
                en(card.expires),
                en(card.applications_open)
            ),
        );
    }
    let (cmp_ja, cmp_en) = compare(t);
    act(
        "renew-later",
        format!(
            "今は更新の必要はありません。電子証明書の更新は{}ごろから{}までに、{}でできます。\
             有効期限の2〜3か月前に有効期限通知書が届きます（転送不要郵便のため、郵便の転送を設定していると届きません）。{cmp_ja}",
            ja(t.renewal_opens),
            ja(t.expires),
            WHERE_JA
        ),
        format!(
            "No renewal needed yet. You can renew the certificate from about {} until {} at {}. \
             J-LIS mails an expiry notice (有効期限通知書) 2–3 months before expiry; it is not forwarded, \
             so it will not reach you if you rely on mail forwarding. Renewing in that window gives a \
             certificate that normally runs to your {} birthday after renewal.{cmp_en}",
            en(t.renewal_opens),
            en(t.expires),
            WHERE_EN,
            ordinal(policy.early_renewal_birthdays)
        ),
    )
}

fn renew_or_new_card(t: &Timeline, status: Status, today: NaiveDate, policy: &Policy) -> Action {
    match t.new_card() {
        Some(card) => new_card(card, today),
        None => renew(t, status, policy),
    }
}

fn renew(t: &Timeline, status: Status, policy: &Policy) -> Action {
    let (cmp_ja, cmp_en) = compare(t);
    let (ja_text, en_text) = match status {
        Status::Valid | Status::RenewalOpen | Status::NotAMyNumberCard => (
            format!(
                "{}までに、{}で電子証明書を更新してください。{BOOK_JA}{}今の時期に更新すれば損はなく、\
                 新しい証明書は通常、更新日から{}回目の誕生日まで有効です（カードの有効期限が上限）。{}{cmp_ja}",
                ja(t.expires),
                WHERE_JA,
                BRING_JA,
                policy.early_renewal_birthdays,
                AFTER_JA
            ),
            format!(
                "Renew the electronic certificate by {} at {}. {BOOK_EN} {} Renewing now loses no time: \
                 the new certificate normally runs to your {} birthday after renewal (never past the card's \
                 own expiry). {}{cmp_en}",
                en(t.expires),
                WHERE_EN,
                BRING_EN,
                ordinal(policy.early_renewal_birthdays),
                AFTER_EN
            ),
        ),
        Status::ExpiredGrace => (
            format!(
                "電子証明書の有効期限（{}）が過ぎています。健康保険証の利用登録が解除される前に、{}までに{}で\
                 電子証明書を更新（再発行）してください。{BOOK_JA}{}{}{cmp_ja}",
                ja(t.expires),
                ja(t.grace_end),
                WHERE_JA,
                BRING_JA,
                AFTER_JA
            ),
            format!(
                "Your certificate expired on {}. Renew it (re-issue) at {} as soon as you can, at the \
                 latest by {}, before your health-insurance registration is cancelled. {BOOK_EN} {} {}{cmp_en}",
                en(t.expires),
                WHERE_EN,
                en(t.grace_end),
                BRING_EN,
                AFTER_EN
            ),
        ),
        Status::RegistrationLapsed => (
            format!(
                "電子証明書の有効期限（{}）から猶予期間（{}まで）が過ぎました。まず{}で電子証明書を更新（再発行）\
                 してください。{BOOK_JA}{}{cmp_ja}",
                ja(t.expires),
                ja(t.grace_end),
                WHERE_JA,
                BRING_JA
            ),
            format!(
                "Your certificate expired on {} and the grace period ended on {}. First renew the certificate \
                 (re-issue) at {}. {BOOK_EN} {}{cmp_en}",
                en(t.expires),
                en(t.grace_end),
                WHERE_EN,
                BRING_EN
            ),
        ),
    };
    act("renew-certificate", ja_text, en_text)
}

fn new_card(card: CardDates, today: NaiveDate) -> Action {
    let (inf_ja, inf_en) = inferred(&card);
    let (ja_when, en_when) = if card.expires < today {
        (
            format!(
                "マイナンバーカード自体の有効期限（{}）が過ぎています。電子証明書の更新はできないので、\
                 新しいカードを申請してください（無料）。",
                ja(card.expires)
            ),
            format!(
                "Your card itself expired on {}. A certificate renewal is not possible: apply for a \
                 new card (free of charge).",
                en(card.expires)
            ),
        )
    } else {
        let (ja_from, en_from) = if today < card.applications_open {
            (
                format!("{}ごろから", ja(card.applications_open)),
                format!(" from about {}", en(card.applications_open)),
            )
        } else {
            ("今から".to_owned(), String::new())
        };
        let (ja_by, en_by) = if today <= card.apply_by {
            (
                format!("{}ごろまでに", ja(card.apply_by)),
                format!(" (by about {})", en(card.apply_by)),
            )
        } else {
            ("すぐに".to_owned(), " now".to_owned())
        };
        (
            format!(
                "マイナンバーカード自体の有効期限が{}のため、電子証明書の更新ではなく新しいカードが必要です。\
                 申請は{}できます。受け取りまで1〜2か月かかるので、{}申請してください。",
                ja(card.expires),
                ja_from,
                ja_by
            ),
            format!(
                "Your card itself expires on {}, so you need a new card, not a certificate renewal: \
                 apply for a new card{}. Getting it takes 1–2 months, so apply early{}.",
                en(card.expires),
                en_from,
                en_by
            ),
        )
    };
    let (foreign_ja, foreign_en) = match card.source {
        CardExpirySource::User => (FOREIGN_JA, format!(" {FOREIGN_EN}")),
        CardExpirySource::CertificateSpan => ("", String::new()),
    };
    act(
        "apply-new-card",
        format!("{ja_when}{NEW_CARD_HOW_JA}{BOOK_JA}{foreign_ja}{inf_ja}"),
        format!("{en_when} {NEW_CARD_HOW_EN} {BOOK_EN}{foreign_en}{inf_en}"),
    )
}

/// Health insurance while the new card is being made, and after it arrives (rules 4a, 4c, 7a).
fn new_card_insurance(t: &Timeline, status: Status) -> Action {
    let (grace_ja, grace_en) = if status == Status::RegistrationLapsed {
        (String::new(), String::new())
    } else {
        (
            format!(
                "カードの有効期限が過ぎても、マイナ保険証は長くて{}まで資格確認だけに使えますが、\
                 それより早く申請してください。",
                ja(t.grace_end)
            ),
            format!(
                " After the card expires, マイナ保険証 still works for eligibility checks only, at the \
                 latest until {}; do not wait for that.",
                en(t.grace_end)
            ),
        )
    };
    act(
        "new-card-insurance",
        format!(
            "新しいカードができるまでの受診には、加入している健康保険（保険者）に申請すれば資格確認書を受け取れます\
             （カード更新中）。{grace_ja}新しいカードを受け取ったら、マイナポータルの「健康保険証」が「登録済」か確認し、\
             そうでなければ利用登録し直してください。"
        ),
        format!(
            "Until the new card arrives, your health insurer issues a 資格確認書 (eligibility \
             certificate) on application (カード更新中, card being renewed).{grace_en} Once you have the new \
             card, check that マイナポータル → 健康保険証 says 登録済 (registered); if not, register it again."
        ),
    )
}

/// Registration step while the registration still stands (or was never made). `after`: the
/// certificate has expired, so the step comes after the fix (マイナポータル and registration both
/// need a valid certificate).
fn registration(registered: Registration, after: Option<Fix>) -> Option<Action> {
    let (ja_pre, en_pre) = match after {
        Some(fix) => (fix.after_ja(), fix.after_en()),
        None => ("", ""),
    };
    let cap = |rest: &str| {
        if en_pre.is_empty() {
            let mut c = rest.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        } else {
            format!("{en_pre}{rest}")
        }
    };
    match registered {
        Registration::Yes => None,
        Registration::No => Some(act(
            "register-insurance",
            format!("{ja_pre}マイナンバーカードを健康保険証として利用登録してください。{REGISTER_WAYS_JA}"),
            cap(&format!("register the card for health-insurance use. {REGISTER_WAYS_EN}")),
        )),
        Registration::Unknown => Some(act(
            "check-registration",
            format!(
                "{ja_pre}健康保険証として利用登録済みか、マイナポータル（アプリまたはウェブサイト）の「健康保険証」で\
                 確認してください。医療機関のカードリーダーで登録した場合も表示されます。"
            ),
            cap(
                "check whether the card is registered for health-insurance use: マイナポータル (app or \
                 website) → 健康保険証. Registrations made at a clinic's card reader show there too.",
            ),
        )),
    }
}

/// Registration step once the grace period is over.
fn reregister(registered: Registration, fix: Fix) -> Action {
    let (after_ja, after_en) = (fix.after_ja(), fix.after_en());
    match registered {
        Registration::No => act(
            "register-insurance",
            format!(
                "{after_ja}マイナンバーカードを健康保険証として利用登録してください。{REGISTER_WAYS_JA}"
            ),
            format!(
                "{after_en}register the card for health-insurance use. {REGISTER_WAYS_EN}"
            ),
        ),
        Registration::Yes | Registration::Unknown => act(
            "re-register-insurance",
            format!(
                "猶予期間が過ぎたため、健康保険証の利用登録は解除されています。{after_ja}\
                 もう一度利用登録してください。{REGISTER_WAYS_JA}"
            ),
            format!(
                "The grace period is over, so the health-insurance registration has been cancelled. \
                 {after_en}register the card for health-insurance use again. {REGISTER_WAYS_EN}"
            ),
        ),
    }
}

fn ask_insurer(t: &Timeline, status: Status) -> Action {
    let (ja_text, en_text) = if status == Status::RegistrationLapsed {
        (
            "更新と再登録が済むまでの受診に備えて、加入している健康保険（保険者）に資格確認書について問い合わせてください。\
             国の方針では、電子証明書の期限が切れた方には原則として申請なしで交付されますが、時期や方法は保険者によって異なります。"
                .to_owned(),
            "Until you have renewed and registered again, ask your health insurer about a 資格確認書 \
             (eligibility certificate) for clinic visits. National policy is to issue one without \
             application once the certificate has expired, but when and how depends on the insurer."
                .to_owned(),
        )
    } else {
        (
            format!(
                "{}までに更新できない場合は、加入している健康保険（保険者）に資格確認書について問い合わせてください。\
                 国の方針では、電子証明書の期限が切れた方には原則として申請なしで交付されますが、時期や方法は保険者によって異なります。",
                ja(t.grace_end)
            ),
            format!(
                "If you cannot renew by {}, ask your health insurer about a 資格確認書 (eligibility \
                 certificate). National policy is to issue one without application once the certificate \
                 has expired, but when and how depends on the insurer.",
                en(t.grace_end)
            ),
        )
    };
    act("ask-insurer-eligibility-certificate", ja_text, en_text)
}

/// One action per blocked PIN. `certs_valid`: the certificates are still valid, so the
/// convenience-store reset is possible for the auth and signature PINs (rule 8b).
fn pins(facts: &Facts, certs_valid: bool) -> Vec<Action> {
    let mut out: Vec<Action> = facts
        .pins
        .blocked()
        .into_iter()
        .map(|kind| blocked_pin(kind, certs_valid))
        .collect();
    out.extend(last_try(&facts.pins.last_try()));
    out
}

/// The ids of the PIN actions, for callers that single them out (the daemon's PIN notification).
pub const PIN_ACTION_IDS: [&str; 4] = [
    "reset-pin-auth",
    "reset-pin-sign",
    "reset-pin-card-info",
    "pin-last-try",
];

/// One action for all PINs one wrong entry away from locking (rule 8a: 3 tries, 5 for the
/// signature PIN; the count never resets by itself).
fn last_try(kinds: &[PinKind]) -> Option<Action> {
    if kinds.is_empty() {
        return None;
    }
    let name_ja = |k: &PinKind| match k {
        PinKind::Auth => "利用者証明用（4桁の数字）",
        PinKind::Sign => "署名用（6〜16桁の英数字）",
        PinKind::CardInfo => "券面事項入力補助用（4桁の数字）",
    };
    let name_en = |k: &PinKind| match k {
        PinKind::Auth => "user-authentication PIN (4 digits)",
        PinKind::Sign => "signature PIN (6–16 characters)",
        PinKind::CardInfo => "card-information PIN (券面事項入力補助用, 4 digits)",
    };
    let names_ja = kinds.iter().map(name_ja).collect::<Vec<_>>().join("と");
    let names_en = kinds
        .iter()
        .map(name_en)
        .collect::<Vec<_>>()
        .join(" and the ");
    Some(act(
        "pin-last-try",
        format!(
            "{names_ja}の暗証番号は、あと1回間違えるとロックされます。確かでなければ入力せず、カードを持って\
             市区町村の窓口で再設定してください。窓口での電子証明書の更新でも暗証番号を入力します。"
        ),
        format!(
            "One more wrong entry locks the {names_en}. If you are not sure of it, do not try it: have it \
             reset at your municipal office (bring the card). Renewing the certificate at the office asks \
             for the PINs too."
        ),
    ))
}

fn blocked_pin(kind: PinKind, certs_valid: bool) -> Action {
    const CLINIC_JA: &str =
        "医療機関・薬局では、顔認証（または職員による目視確認）でマイナ保険証をそのまま使えます。";
    const CLINIC_EN: &str =
        "The card still works as health-insurance card at clinics and pharmacies through face \
         recognition (or a visual check by staff).";
    const OFFICE_JA: &str =
        "ロックの解除（暗証番号の再設定）は、カードを持って市区町村の窓口でできます。";
    const OFFICE_EN: &str = "You can have it reset at your municipal office (bring the card).";
    let (id, name_ja, name_en, store) = match kind {
        PinKind::Auth => (
            "reset-pin-auth",
            "利用者証明用電子証明書の暗証番号（4桁の数字）",
            "user-authentication PIN (4 digits)",
            Some((
                "署名用の暗証番号",
                "the signature PIN",
                "セブン-イレブン、イオン",
                "Seven-Eleven or AEON",
            )),
        ),
        PinKind::Sign => (
            "reset-pin-sign",
            "署名用電子証明書の暗証番号（6〜16桁の英数字）",
            "signature PIN (6–16 characters)",
            Some((
                "利用者証明用の4桁の暗証番号",
                "the 4-digit user-authentication PIN",
                "セブン-イレブン、ローソン",
                "Seven-Eleven or Lawson",
            )),
        ),
        PinKind::CardInfo => (
            "reset-pin-card-info",
            "券面事項入力補助用の暗証番号（4桁の数字）",
            "card-information PIN (券面事項入力補助用, 4 digits)",
            None,
        ),
    };
    let (store_ja, store_en) = match store {
        Some((needs_ja, needs_en, shops_ja, shops_en)) if certs_valid => (
            format!(
                "電子証明書が有効な間は、{needs_ja}が分かれば、JPKI暗証番号リセットアプリで予約してコンビニ（{shops_ja}）\
                 でも再設定できます。"
            ),
            format!(
                " While the certificates are valid, and if you know {needs_en}, you can also reset it at a \
                 convenience store ({shops_en}) after booking in the JPKI PIN reset app (JPKI暗証番号リセット)."
            ),
        ),
        Some(_) => (
            "電子証明書の更新と同じ窓口でまとめて再設定できます。".to_owned(),
            " It can be reset during the same visit as the certificate renewal.".to_owned(),
        ),
        None => (
            "この暗証番号はコンビニでは再設定できません。".to_owned(),
            " This PIN cannot be reset at a convenience store.".to_owned(),
        ),
    };
    act(
        id,
        format!("{name_ja}がロックされています。{CLINIC_JA}{OFFICE_JA}{store_ja}"),
        format!("The {name_en} is locked. {CLINIC_EN} {OFFICE_EN}{store_en}"),
    )
}

/// Actions when there is nothing to judge: not a My Number Card, or no certificate.
pub(crate) fn not_a_my_number_card(facts: &Facts) -> Vec<Action> {
    let first = match facts.token {
        TokenKind::JukiCard => act(
            "get-my-number-card",
            format!(
                "これは住民基本台帳カード（住基カード）で、マイナ保険証としては使えません。マイナンバーカードを申請してください\
                 （スマートフォン・パソコン、証明写真機、郵送、または窓口で申請でき、受け取りまで1〜2か月かかります）。\
                 受け取ったら健康保険証として利用登録してください。{REGISTER_WAYS_JA}"
            ),
            format!(
                "This is an old Basic Resident Register card (住基カード), which cannot be used as \
                 health-insurance card. Apply for a My Number Card (online by smartphone or PC, at a photo \
                 booth, by mail or at the office; getting it takes 1–2 months), then register it for \
                 health-insurance use. {REGISTER_WAYS_EN}"
            ),
        ),
        TokenKind::SmartphoneAndroid | TokenKind::SmartphoneIos => act(
            "use-physical-card",
            "これはスマートフォンのマイナンバーカード機能（スマホ用電子証明書）です。mynawatch はカード本体の\
             電子証明書を確認するので、マイナンバーカードそのものをリーダーに置いてください。"
                .to_owned(),
            "This is the smartphone My Number Card function (スマホ用電子証明書). mynawatch checks the \
             certificate on the physical card: put the My Number Card itself on the reader."
                .to_owned(),
        ),
        TokenKind::Unknown => act(
            "unknown-card",
            "このカードはマイナンバーカードとして認識できませんでした。マイナンバーカードをリーダーに置き直してください。"
                .to_owned(),
            "This card was not recognised as a My Number Card. Put your My Number Card on the reader again."
                .to_owned(),
        ),
        TokenKind::MyNumberCard => act(
            "issue-certificate",
            format!(
                "利用者証明用電子証明書を読み取れませんでした。カードに電子証明書が入っていない（発行していない、\
                 または失効した）可能性があり、その場合はマイナ保険証として使えません。{WHERE_JA}で無料で\
                 発行できます（カードを持参）。カードを読み取り中に離した場合は、もう一度読み取ってください。"
            ),
            format!(
                "The user-authentication certificate could not be read. The card may have none (never \
                 issued, or revoked), and without it the card cannot be used as health-insurance card. It \
                 can be issued free of charge at {WHERE_EN}; bring the card. If the card was moved during \
                 the read, read it again."
            ),
        ),
    };
    vec![first]
}
