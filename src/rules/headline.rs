//! One short sentence per assessment, for notifications, `check` and status lines.

use super::actions::PIN_ACTION_IDS;
use super::dates;
use super::model::{Action, Assessment, Lang, Status};

impl Assessment {
    fn has_action(&self, id: &str) -> bool {
        self.actions.iter().any(|a| a.id == id)
    }

    /// The holder needs a new card (the card expires with, or soon after, the certificate).
    pub fn needs_new_card(&self) -> bool {
        self.has_action("apply-new-card") || self.has_action("new-card-later")
    }

    /// The PIN steps (a PIN locked, or one wrong entry from locking), in order.
    pub fn pin_actions(&self) -> Vec<&Action> {
        self.actions
            .iter()
            .filter(|a| PIN_ACTION_IDS.contains(&a.id.as_str()))
            .collect()
    }

    /// One short sentence saying where the holder stands, e.g.
    /// "電子証明書の更新手続きができます（あと80日）" / "You can renew your certificate now (80 days left)".
    pub fn headline(&self, lang: Lang) -> String {
        let days = self.days_left.unwrap_or(0);
        let left_ja = if days == 0 {
            "今日まで".to_owned()
        } else {
            format!("あと{days}日")
        };
        let left_en = match days {
            0 => "today is the last day".to_owned(),
            1 => "1 day left".to_owned(),
            n => format!("{n} days left"),
        };
        let until = |lang| {
            self.insurance_usable_until
                .map(|d| dates::show(d, lang))
                .unwrap_or_default()
        };
        match (self.status, lang) {
            (Status::Valid, Lang::Ja) if self.has_action("new-card-later") => {
                format!("電子証明書は有効です。次は新しいカードの申請が必要です（有効期限まで{left_ja}）")
            }
            (Status::Valid, Lang::En) if self.has_action("new-card-later") => {
                format!("Your certificate is valid; next time you need a new card ({left_en})")
            }
            (Status::Valid, Lang::Ja) => format!("電子証明書は有効です（有効期限まで{left_ja}）"),
            (Status::Valid, Lang::En) => format!("Your certificate is valid ({left_en})"),
            (Status::RenewalOpen, Lang::Ja) if self.has_action("apply-new-card") => {
                format!("カードの有効期限が近づいています。新しいカードを申請してください（{left_ja}）")
            }
            (Status::RenewalOpen, Lang::En) if self.has_action("apply-new-card") => {
                format!("Your card expires soon: apply for a new card ({left_en})")
            }
            (Status::RenewalOpen, Lang::Ja) => format!("電子証明書の更新手続きができます（{left_ja}）"),
            (Status::RenewalOpen, Lang::En) => {
                format!("You can renew your certificate now ({left_en})")
            }
            // The grace end is the latest possible day (some insurers count from the expiry day):
            // never "safe until", always "at the latest".
            (Status::ExpiredGrace, Lang::Ja) if self.has_action("apply-new-card") => format!(
                "カードの有効期限が切れています。新しいカードを申請してください（マイナ保険証は長くて{}まで資格確認のみ、{left_ja}）",
                until(Lang::Ja)
            ),
            (Status::ExpiredGrace, Lang::En) if self.has_action("apply-new-card") => format!(
                "Your card has expired: apply for a new card (マイナ保険証 works for eligibility checks only, at the latest until {}; {left_en})",
                until(Lang::En)
            ),
            (Status::ExpiredGrace, Lang::Ja) => format!(
                "電子証明書の有効期限が切れています。すぐに更新してください（マイナ保険証は長くて{}まで資格確認のみ、{left_ja}）",
                until(Lang::Ja)
            ),
            (Status::ExpiredGrace, Lang::En) => format!(
                "Your certificate has expired: renew it now (マイナ保険証 works for eligibility checks only, at the latest until {}; {left_en})",
                until(Lang::En)
            ),
            (Status::RegistrationLapsed, Lang::Ja) if self.has_action("apply-new-card") => {
                "猶予期間が終わりました。新しいカードを申請し、受け取ったら利用登録を確認してください".to_owned()
            }
            (Status::RegistrationLapsed, Lang::En) if self.has_action("apply-new-card") => {
                "The grace period is over: apply for a new card, then check its health-insurance registration"
                    .to_owned()
            }
            (Status::RegistrationLapsed, Lang::Ja) if self.has_action("register-insurance") => {
                "猶予期間が終わりました。電子証明書を更新するまでマイナ保険証は使えません".to_owned()
            }
            (Status::RegistrationLapsed, Lang::En) if self.has_action("register-insurance") => {
                "The grace period is over: the card cannot be used as health-insurance card until you renew"
                    .to_owned()
            }
            (Status::RegistrationLapsed, Lang::Ja) => {
                "猶予期間が終わり、健康保険証の利用登録は解除されています".to_owned()
            }
            (Status::RegistrationLapsed, Lang::En) => {
                "The grace period is over: the health-insurance registration has been cancelled".to_owned()
            }
            (Status::NotAMyNumberCard, Lang::Ja) if self.has_action("issue-certificate") => {
                "利用者証明用電子証明書を読み取れませんでした".to_owned()
            }
            (Status::NotAMyNumberCard, Lang::En) if self.has_action("issue-certificate") => {
                "The user-authentication certificate could not be read".to_owned()
            }
            (Status::NotAMyNumberCard, Lang::Ja) => "マイナンバーカードではありません".to_owned(),
            (Status::NotAMyNumberCard, Lang::En) => "This is not a My Number Card".to_owned(),
        }
    }
}
