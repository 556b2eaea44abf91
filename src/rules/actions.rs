//! The next steps for each status, as [`Action`]s with stable ids and concrete text in Japanese and
//! English. Ids are listed in docs/rules.md; apps and tests match on them, so never rename one.

use chrono::NaiveDate;

use super::dates::{self, ordinal};
use super::model::{Action, Facts, Lang, PinKind, Registration, Status, TokenKind};
use super::policy::Policy;
use super::Timeline;

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
     準備ができるとはがきが届くので、市区町村の窓口で受け取ります。";
const NEW_CARD_HOW_EN: &str =
    "Use the application form sent with the expiry notice (交付申請書): apply online by \
     smartphone or PC, at a photo booth, or by mail. A postcard tells you when the card is ready; \
     you pick it up at the municipal office.";

/// Next steps for a My Number Card with a certificate, most urgent first.
pub(crate) fn for_card(
    facts: &Facts,
    t: &Timeline,
    status: Status,
    today: NaiveDate,
    policy: &Policy,
) -> Vec<Action> {
    let mut out = Vec::new();
    match status {
        Status::Valid => {
            out.extend(registration(facts.registered, false));
            out.extend(pins(facts, true));
            out.push(later(t, policy));
        }
        Status::RenewalOpen => {
            out.push(renew_or_new_card(t, status, today, policy));
            out.extend(registration(facts.registered, false));
            out.extend(pins(facts, true));
        }
        Status::ExpiredGrace => {
            out.push(renew_or_new_card(t, status, today, policy));
            out.extend(registration(facts.registered, true));
            out.extend(pins(facts, false));
            out.push(ask_insurer(t, status));
        }
        Status::RegistrationLapsed => {
            out.push(renew_or_new_card(t, status, today, policy));
            out.push(reregister(facts.registered));
            out.push(ask_insurer(t, status));
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

/// Valid, renewal not open yet: when it will be.
fn later(t: &Timeline, policy: &Policy) -> Action {
    if let Some(card) = t.card.filter(|c| c.replaces_renewal) {
        return act(
            "new-card-later",
            format!(
                "マイナンバーカード自体の有効期限が{}のため、電子証明書の更新ではなく新しいカードの申請が必要です。\
                 申請は{}ごろからできます（受け取りまで1〜2か月かかります）。",
                ja(card.expires),
                ja(card.applications_open)
            ),
            format!(
                "Your card itself expires on {}, so you will need a new card rather than a certificate renewal. \
                 You can apply from about {} (getting the card takes 1–2 months).",
                en(card.expires),
                en(card.applications_open)
            ),
        );
    }
    act(
        "renew-later",
        format!(
            "今は更新の必要はありません。電子証明書の更新は{}ごろから{}までに、{}でできます。\
             有効期限の2〜3か月前に有効期限通知書が届きます（転送不要郵便のため、郵便の転送を設定していると届きません）。",
            ja(t.renewal_opens),
            ja(t.expires),
            WHERE_JA
        ),
        format!(
            "No renewal needed yet. You can renew the certificate from about {} until {} at {}. \
             J-LIS mails an expiry notice (有効期限通知書) 2–3 months before expiry; it is not forwarded, \
             so it will not reach you if you rely on mail forwarding. Renewing in that window gives a \
             certificate that normally runs to your {} birthday after renewal.",
            en(t.renewal_opens),
            en(t.expires),
            WHERE_EN,
            ordinal(policy.early_renewal_birthdays)
        ),
    )
}

fn renew_or_new_card(t: &Timeline, status: Status, today: NaiveDate, policy: &Policy) -> Action {
    match t.card.filter(|c| c.replaces_renewal) {
        Some(card) => new_card(card, today),
        None => renew(t, status, policy),
    }
}

fn renew(t: &Timeline, status: Status, policy: &Policy) -> Action {
    let (ja_text, en_text) = match status {
        Status::Valid | Status::RenewalOpen | Status::NotAMyNumberCard => (
            format!(
                "{}までに、{}で電子証明書を更新してください。{}今の時期に更新すれば損はなく、\
                 新しい証明書は通常、更新日から{}回目の誕生日まで有効です（カードの有効期限が上限）。{}",
                ja(t.expires),
                WHERE_JA,
                BRING_JA,
                policy.early_renewal_birthdays,
                AFTER_JA
            ),
            format!(
                "Renew the electronic certificate by {} at {}. {} Renewing now loses no time: the new \
                 certificate normally runs to your {} birthday after renewal (never past the card's own \
                 expiry). {}",
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
                 電子証明書を更新（再発行）してください。{}{}",
                ja(t.expires),
                ja(t.grace_end),
                WHERE_JA,
                BRING_JA,
                AFTER_JA
            ),
            format!(
                "Your certificate expired on {}. Renew it (re-issue) at {} by {}, before your \
                 health-insurance registration is cancelled. {} {}",
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
                 してください。{}",
                ja(t.expires),
                ja(t.grace_end),
                WHERE_JA,
                BRING_JA
            ),
            format!(
                "Your certificate expired on {} and the grace period ended on {}. First renew the certificate \
                 (re-issue) at {}. {}",
                en(t.expires),
                en(t.grace_end),
                WHERE_EN,
                BRING_EN
            ),
        ),
    };
    act("renew-certificate", ja_text, en_text)
}

fn new_card(card: super::CardDates, today: NaiveDate) -> Action {
    let (ja_when, en_when) = if card.expires < today {
        (
            format!(
                "マイナンバーカード自体の有効期限（{}）が過ぎているため、新しいカードを申請してください（無料）。",
                ja(card.expires)
            ),
            format!(
                "Your card itself expired on {}: apply for a new card (free of charge).",
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
            (String::new(), String::new())
        };
        let (ja_by, en_by) = if today <= card.apply_by {
            (
                format!("{}ごろまでに", ja(card.apply_by)),
                format!(" (by about {})", en(card.apply_by)),
            )
        } else {
            (String::new(), String::new())
        };
        (
            format!(
                "マイナンバーカード自体の有効期限が{}のため、電子証明書だけを更新しても長くは使えません。\
                 {}新しいカードを申請してください。受け取りまで1〜2か月かかるので、早めに{}申請してください。",
                ja(card.expires),
                ja_from,
                ja_by
            ),
            format!(
                "Your card itself expires on {}, so renewing only the certificate would not last: apply for a \
                 new card{}. Getting it takes 1–2 months, so apply early{}.",
                en(card.expires),
                en_from,
                en_by
            ),
        )
    };
    act(
        "apply-new-card",
        format!("{ja_when}{NEW_CARD_HOW_JA}"),
        format!("{en_when} {NEW_CARD_HOW_EN}"),
    )
}

/// Registration step while the registration still stands (or was never made).
fn registration(registered: Registration, after_renewal: bool) -> Option<Action> {
    // マイナポータル and registration both need a valid certificate, hence "after renewing".
    let (ja_pre, en_pre) = if after_renewal {
        (
            "電子証明書を更新した後に、",
            "After renewing the certificate, r",
        )
    } else {
        ("", "R")
    };
    let en_check = if after_renewal {
        "After renewing the certificate, c"
    } else {
        "C"
    };
    match registered {
        Registration::Yes => None,
        Registration::No => Some(act(
            "register-insurance",
            format!("{ja_pre}マイナンバーカードを健康保険証として利用登録してください。{REGISTER_WAYS_JA}"),
            format!("{en_pre}egister the card for health-insurance use. {REGISTER_WAYS_EN}"),
        )),
        Registration::Unknown => Some(act(
            "check-registration",
            format!(
                "{ja_pre}健康保険証として利用登録済みか、マイナポータル（アプリまたはウェブサイト）の「健康保険証」で\
                 確認してください。医療機関のカードリーダーで登録した場合も表示されます。"
            ),
            format!(
                "{en_check}heck whether the card is registered for health-insurance use: マイナポータル (app or \
                 website) → 健康保険証. Registrations made at a clinic's card reader show there too."
            ),
        )),
    }
}

/// Registration step once the grace period is over.
fn reregister(registered: Registration) -> Action {
    match registered {
        Registration::No => act(
            "register-insurance",
            format!(
                "電子証明書を更新した後に、マイナンバーカードを健康保険証として利用登録してください。{REGISTER_WAYS_JA}"
            ),
            format!(
                "After renewing the certificate, register the card for health-insurance use. {REGISTER_WAYS_EN}"
            ),
        ),
        Registration::Yes | Registration::Unknown => act(
            "re-register-insurance",
            format!(
                "猶予期間が過ぎたため、健康保険証の利用登録は解除されています。電子証明書を更新した後に、\
                 もう一度利用登録してください。{REGISTER_WAYS_JA}"
            ),
            format!(
                "The grace period is over, so the health-insurance registration has been cancelled. After \
                 renewing the certificate, register the card for health-insurance use again. {REGISTER_WAYS_EN}"
            ),
        ),
    }
}

fn ask_insurer(t: &Timeline, status: Status) -> Action {
    let (ja_text, en_text) = if status == Status::RegistrationLapsed {
        (
            "更新と再登録が済むまでの受診に備えて、加入している健康保険（保険者）に資格確認書について問い合わせてください。\
             自動的に送られるかどうかは保険者によって異なります。"
                .to_owned(),
            "Until you have renewed and registered again, ask your health insurer about a 資格確認書 \
             (eligibility certificate) for clinic visits. Whether one is sent automatically depends on the \
             insurer."
                .to_owned(),
        )
    } else {
        (
            format!(
                "{}までに更新できない場合は、加入している健康保険（保険者）に資格確認書について問い合わせてください。\
                 自動的に送られるかどうかは保険者によって異なります。",
                ja(t.grace_end)
            ),
            format!(
                "If you cannot renew by {}, ask your health insurer about a 資格確認書 (eligibility \
                 certificate). Whether one is sent automatically depends on the insurer.",
                en(t.grace_end)
            ),
        )
    };
    act("ask-insurer-eligibility-certificate", ja_text, en_text)
}

/// One action per blocked PIN. `certs_valid`: the certificates are still valid, so the
/// convenience-store reset is possible for the auth and signature PINs (rule 8b).
fn pins(facts: &Facts, certs_valid: bool) -> Vec<Action> {
    facts
        .pins
        .blocked()
        .into_iter()
        .map(|kind| blocked_pin(kind, certs_valid))
        .collect()
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
