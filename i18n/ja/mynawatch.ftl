# mynawatch — Japanese (the primary language).
#
# One message per id; the code passes the variables named in each comment. Dates arrive already
# written by `date` below, numbers as numbers. How to add a language: docs/translating.md.

## Dates and counts

# A date for people. $year, $month, $day (numbers), $iso (2026-06-25).
date = { $year }年{ $month }月{ $day }日

# Days until a deadline. $days (a number, 0 = the deadline is today).
days-left =
    { $days ->
        [0] 今日まで
       *[other] あと{ $days }日
    }

## Next steps (the rule core's actions; ids listed in docs/rules.md)

-where = お住まいの市区町村の窓口（市区町村が指定する郵便局があれば、そこでも可）
-bring = マイナンバーカードと2つの暗証番号（利用者証明用の4桁の数字と、署名用の6〜16桁の英数字）を持って行ってください。手数料は無料です。暗証番号を忘れた場合も、その場で再設定できます。
-after-renewal = 更新後、保険証側に新しい証明書が反映されるまで1日ほどかかります。翌日以降にマイナポータルの「健康保険証」で確認してください。
-register-ways = 方法は3つです：マイナポータルアプリ（NFC対応のスマートフォンとカード、4桁の暗証番号）、セブン銀行ATM、医療機関・薬局の顔認証付きカードリーダー（受付でそのまま登録できます）。
-new-card-how = 有効期限通知書に同封の交付申請書を使い、スマートフォン・パソコン、証明写真機、郵送で申請できます。交付通知書（はがき）が届いたら、市区町村の窓口で受け取ります。特急発行は有効期限による更新には使えません。
-book = 窓口は予約制のところが多く、2か月先まで予約が埋まることもあるので、早めに予約してください。
# How to tell mynawatch the card's own expiry, on every channel.
-tell = 「mynawatch card-expires CARD YYYY-MM-DD」（check では --card-expires、D-Bus では SetCardExpires）
# When the card's own expiry is unknown: compare with the card face. $expires: the certificate's expiry.
card-face-compare = カード表面の有効期限が{ $expires }と同じなら、更新ではなく新しいカードの申請が必要です（18歳未満で申請したカード、在留期間のある方、期限切れ後に再発行した電子証明書など）。その場合は{ -tell }で日付を教えてください。
# The card's expiry was inferred from the certificate's span.
-inferred = カードの有効期限は、電子証明書の有効期間が5年を超えている（期限前に更新した証明書はカードと同じ日に切れる）ことから推定しました。カード表面の有効期限と違う場合は{ -tell }で設定してください。
-foreign = 在留期間のある外国人の方は、在留期間を更新したら、カードの有効期限までに市区町村の窓口で有効期間の変更を申請してください（自動では延びず、通知も届きません）。
# The birthday a renewed certificate runs to. $birthdays (a number).
birthday-ordinal = { $birthdays }回目
# "After the fix, …". $after: renew, new-card or none.
after-fix =
    { $after ->
        [renew] 電子証明書を更新した後に、
        [new-card] 新しいカードを受け取った後に、
       *[none] {""}
    }

# $renewal-opens, $expires (dates), $birthdays (a number), $card-face (known, unknown).
renew-later =
    今は更新の必要はありません。電子証明書の更新は{ $renewal-opens }ごろから{ $expires }までに、{ -where }でできます。有効期限の2〜3か月前に有効期限通知書が届きます（転送不要郵便のため、郵便の転送を設定していると届きません）。{ $card-face ->
        [unknown] { card-face-compare }
       *[known] {""}
    }

# $card-expires, $applications-open (dates), $source (user, certificate-span).
new-card-later =
    マイナンバーカード自体の有効期限が{ $card-expires }のため、電子証明書の更新ではなく新しいカードの申請が必要です。申請は{ $applications-open }ごろからできます（受け取りまで1〜2か月かかります）。{ $source ->
        [certificate-span] { -inferred }
       *[user] {""}
    }

# $phase (open, expired, lapsed), $expires, $grace-end (dates), $birthdays (a number), $card-face (known, unknown).
renew-certificate =
    { $phase ->
        [expired] 電子証明書の有効期限（{ $expires }）が過ぎています。健康保険証の利用登録が解除される前に、{ $grace-end }までに{ -where }で電子証明書を更新（再発行）してください。{ -book }{ -bring }{ -after-renewal }
        [lapsed] 電子証明書の有効期限（{ $expires }）から猶予期間（{ $grace-end }まで）が過ぎました。まず{ -where }で電子証明書を更新（再発行）してください。{ -book }{ -bring }
       *[open] { $expires }までに、{ -where }で電子証明書を更新してください。{ -book }{ -bring }今の時期に更新すれば損はなく、新しい証明書は通常、更新日から{ birthday-ordinal }の誕生日まで有効です（カードの有効期限が上限）。{ -after-renewal }
    }{ $card-face ->
        [unknown] { card-face-compare }
       *[known] {""}
    }

# $card-expires (a date), $when (expired, ahead); when ahead: $opens (now, later) with
# $applications-open, $deadline (ahead, passed) with $apply-by; $source (user, certificate-span).
apply-new-card =
    { $when ->
        [expired] マイナンバーカード自体の有効期限（{ $card-expires }）が過ぎています。電子証明書の更新はできないので、新しいカードを申請してください（無料）。
       *[ahead] マイナンバーカード自体の有効期限が{ $card-expires }のため、電子証明書の更新ではなく新しいカードが必要です。申請は{ $opens ->
            [later] { $applications-open }ごろから
           *[now] 今から
        }できます。受け取りまで1〜2か月かかるので、{ $deadline ->
            [ahead] { $apply-by }ごろまでに
           *[passed] すぐに
        }申請してください。
    }{ -new-card-how }{ -book }{ $source ->
        [certificate-span] { -inferred }
       *[user] { -foreign }
    }

# $grace (open, over) with $grace-end: マイナ保険証 still works until then.
new-card-insurance =
    新しいカードができるまでの受診には、加入している健康保険（保険者）に申請すれば資格確認書を受け取れます（カード更新中）。{ $grace ->
        [open] カードの有効期限が過ぎても、マイナ保険証は長くて{ $grace-end }まで資格確認だけに使えますが、それより早く申請してください。
       *[over] {""}
    }新しいカードを受け取ったら、マイナポータルの「健康保険証」が「登録済」か確認し、そうでなければ利用登録し直してください。

# $after (none, renew, new-card).
register-insurance = { after-fix }マイナンバーカードを健康保険証として利用登録してください。{ -register-ways }

# $after (none, renew, new-card).
check-registration = { after-fix }健康保険証として利用登録済みか、マイナポータル（アプリまたはウェブサイト）の「健康保険証」で確認してください。医療機関のカードリーダーで登録した場合も表示されます。

# $after (renew, new-card).
re-register-insurance = 猶予期間が過ぎたため、健康保険証の利用登録は解除されています。{ after-fix }もう一度利用登録してください。{ -register-ways }

# $grace (open, over) with $grace-end.
ask-insurer-eligibility-certificate =
    { $grace ->
        [open] { $grace-end }までに更新できない場合は、加入している健康保険（保険者）に資格確認書について問い合わせてください。
       *[over] 更新と再登録が済むまでの受診に備えて、加入している健康保険（保険者）に資格確認書について問い合わせてください。
    }国の方針では、電子証明書の期限が切れた方には原則として申請なしで交付されますが、時期や方法は保険者によって異なります。

-pin-locked-clinic = 医療機関・薬局では、顔認証（または職員による目視確認）でマイナ保険証をそのまま使えます。
-pin-locked-office = ロックの解除（暗証番号の再設定）は、カードを持って市区町村の窓口でできます。
-pin-reset-same-visit = 電子証明書の更新と同じ窓口でまとめて再設定できます。

# $certs (valid, expired).
reset-pin-auth = 利用者証明用電子証明書の暗証番号（4桁の数字）がロックされています。{ -pin-locked-clinic }{ -pin-locked-office }{ $certs ->
        [valid] 電子証明書が有効な間は、署名用の暗証番号が分かれば、JPKI暗証番号リセットアプリで予約してコンビニ（セブン-イレブン、イオン）でも再設定できます。
       *[expired] { -pin-reset-same-visit }
    }
# $certs (valid, expired).
reset-pin-sign = 署名用電子証明書の暗証番号（6〜16桁の英数字）がロックされています。{ -pin-locked-clinic }{ -pin-locked-office }{ $certs ->
        [valid] 電子証明書が有効な間は、利用者証明用の4桁の暗証番号が分かれば、JPKI暗証番号リセットアプリで予約してコンビニ（セブン-イレブン、ローソン）でも再設定できます。
       *[expired] { -pin-reset-same-visit }
    }
# $certs (valid, expired): the same text either way.
reset-pin-card-info = 券面事項入力補助用の暗証番号（4桁の数字）がロックされています。{ -pin-locked-clinic }{ -pin-locked-office }この暗証番号はコンビニでは再設定できません。

# One PIN's name inside pin-last-try. $pin (auth, sign, card-info).
pin-last-try-name =
    { $pin ->
        [auth] 利用者証明用（4桁の数字）
        [sign] 署名用（6〜16桁の英数字）
       *[card-info] 券面事項入力補助用（4桁の数字）
    }
# Between two PIN names in pin-last-try.
pin-last-try-and = と
# $pins: the pin-last-try-name of each PIN, joined by pin-last-try-and.
pin-last-try = { $pins }の暗証番号は、あと1回間違えるとロックされます。確かでなければ入力せず、カードを持って市区町村の窓口で再設定してください。窓口での電子証明書の更新でも暗証番号を入力します。

get-my-number-card = これは住民基本台帳カード（住基カード）で、マイナ保険証としては使えません。マイナンバーカードを申請してください（スマートフォン・パソコン、証明写真機、郵送、または窓口で申請でき、受け取りまで1〜2か月かかります）。受け取ったら健康保険証として利用登録してください。{ -register-ways }
use-physical-card = これはスマートフォンのマイナンバーカード機能（スマホ用電子証明書）です。mynawatch はカード本体の電子証明書を確認するので、マイナンバーカードそのものをリーダーに置いてください。
unknown-card = このカードはマイナンバーカードとして認識できませんでした。マイナンバーカードをリーダーに置き直してください。
issue-certificate = 利用者証明用電子証明書を読み取れませんでした。カードに電子証明書が入っていない（発行していない、または失効した）可能性があり、その場合はマイナ保険証として使えません。{ -where }で無料で発行できます（カードを持参）。カードを読み取り中に離した場合は、もう一度読み取ってください。

## Dated measures (policy `measures`; the id is the measure's)

measure-expired-insurance-card-until-2026-03-31 = 暫定的な取扱いとして2026年7月31日まで（3月末から延長、再延長はしない方針）、医療機関がオンラインで資格を確認できれば、有効期限切れの健康保険証や「資格情報のお知らせ」だけでも通常の負担割合で受診できる場合があります。8月からはマイナ保険証か資格確認書が必要です。
measure-koki-eligibility-certificate-until-2026-07-31 = 後期高齢者医療制度（75歳以上）の方には、2026年7月31日まではマイナ保険証の有無にかかわらず資格確認書が送られます。
measure-koki-eligibility-certificate-from-2026-08-01 = 2026年8月1日から2027年7月31日までは、後期高齢者医療制度の方のうち85歳以上の方には引き続き資格確認書が送られ、84歳以下の方にはマイナ保険証の有無に応じて資格確認書または「資格情報のお知らせ」が送られます（資格確認書は申請でも受け取れます）。2027年8月以降の扱いは未定です。

## Headlines: where the holder stands, in one sentence

# $days (a number)
headline-valid = 電子証明書は有効です（有効期限まで{ days-left }）
# $days
headline-valid-new-card-next = 電子証明書は有効です。次は新しいカードの申請が必要です（有効期限まで{ days-left }）
# $days
headline-renewal-open = 電子証明書の更新手続きができます（{ days-left }）
# $days
headline-new-card-due = カードの有効期限が近づいています。新しいカードを申請してください（{ days-left }）
# $days, $until (a date: the grace end, the latest possible day)
headline-expired = 電子証明書の有効期限が切れています。すぐに更新してください（マイナ保険証は長くて{ $until }まで資格確認のみ、{ days-left }）
# $days, $until
headline-card-expired = カードの有効期限が切れています。新しいカードを申請してください（マイナ保険証は長くて{ $until }まで資格確認のみ、{ days-left }）
headline-lapsed = 猶予期間が終わり、健康保険証の利用登録は解除されています
headline-lapsed-new-card = 猶予期間が終わりました。新しいカードを申請し、受け取ったら利用登録を確認してください
headline-lapsed-unregistered = 猶予期間が終わりました。電子証明書を更新するまでマイナ保険証は使えません
headline-no-certificate = 利用者証明用電子証明書を読み取れませんでした
headline-not-a-my-number-card = マイナンバーカードではありません

## Notifications

# The card typed in by hand was read. $label: its name; $named (yes, no): whether it has one.
notify-merged-summary =
    { $named ->
        [yes] { $label }：入力したカードを読み取りました
       *[no] 入力したカードを読み取りました
    }
# $label, $named as above.
notify-merged-body =
    { $named ->
        [yes] 手で入力した「{ $label }」と、いま読み取ったカードをひとつにまとめました（名前と回答はそのままです）。
       *[no] 手で入力したカードと、いま読み取ったカードをひとつにまとめました。
    }
# One step as a line of the body. $text: the step.
notify-bullet = ・{ $text }
# The summary: which card, and what is up. $kind (my-number-card, card), $label, $named (yes, no), $what (notify-what or notify-check-pins).
notify-title =
    { $kind ->
        [card] カード
       *[my-number-card] マイナンバーカード
    }{ $named ->
        [yes] 「{ $label }」
       *[no] {""}
    }: { $what }
# What is up with the card. $what: the status, with -new-card when a new card is the way out.
notify-what =
    { $what ->
        [valid] 電子証明書は有効です
        [renewal-open] 電子証明書の更新時期です
        [renewal-open-new-card] 新しいカードの申請時期です
        [expired-grace] 電子証明書の有効期限が切れています
        [expired-grace-new-card] カードの有効期限が切れています。新しいカードを申請してください
        [registration-lapsed] 保険証利用登録が解除されました
        [registration-lapsed-new-card] 保険証利用登録が解除されました。新しいカードを申請してください
       *[not-a-my-number-card] マイナンバーカードとして確認できません
    }
# The summary's $what when a PIN has locked or is one wrong entry from locking.
notify-check-pins = 暗証番号を確認してください
# The deadline lines. $date; $known (yes, no): whether $days (days left) is given.
notify-deadline-expires =
    電子証明書の有効期限: { $date }{ $known ->
        [yes] （{ days-left }）
       *[no] {""}
    }
notify-deadline-usable-until =
    マイナ保険証として使えるのは{ $date }まで{ $known ->
        [yes] （{ days-left }）
       *[no] {""}
    }
notify-deadline-grace-ended = 猶予期間は{ $date }に終了しました
# Buttons (notifications) and menu items (tray).
answer-registered-yes = 保険証利用登録済み
answer-registered-no = まだ登録していない
button-open-guide = 案内を開く

## The status report (status, watch, the tray)

# The status in a word or two. $status: the machine name (docs/dbus-api.md).
status-word =
    { $status ->
        [valid] 有効
        [renewal-open] 更新手続きができます
        [expired-grace] 有効期限切れ（猶予期間中）
        [registration-lapsed] 保険証利用登録が解除されました
       *[not-a-my-number-card] マイナンバーカードとして判定できません
    }
# What DaysLeft counts. $days (a number).
days-to-expiry = 有効期限まで あと{ $days }日
days-to-grace-end = 猶予期間の終わりまで あと{ $days }日
# $days: days since the grace period ended (positive).
days-since-grace-end = 猶予期間の終了から{ $days }日経過

## The assessment summary (check, read)

# $date
summary-certificate-expires = 電子証明書の有効期限：{ $date }
# $date, $source (user, certificate-span)
summary-card-expires =
    カードの有効期限：{ $date }{ $source ->
        [user] （入力された日付）
       *[certificate-span] （電子証明書の有効期間から推定）
    }
# $from, $by (dates)
summary-new-card-applications = 新しいカードの申請：{ $from }ごろから（{ $by }ごろまでに）
# $date
summary-renewal-possible = 更新手続き：{ $date }ごろから
# $date
summary-insurance-usable-until = マイナ保険証の利用期限：{ $date }（有効期限後は資格確認のみ）
# $phase (valid, grace, lapsed), $days (a number; for lapsed: days since the grace end)
summary-days =
    { $phase ->
        [lapsed] 猶予期間の終了から：{ $days }日経過
        [grace] 残り日数：{ $days }日（マイナ保険証が使えなくなるまで）
       *[valid] 残り日数：{ $days }日（電子証明書の有効期限まで）
    }
summary-next-steps = 次にすること：
# The first line of the report. $version, $readers (the reader names, or report-no-readers).
report-header = mynawatch { $version } — カードリーダー: { $readers }
report-no-readers = なし
report-no-cards = 記憶しているカードはありません。マイナンバーカードをリーダーに入れてください。
# A date the daemon does not know.
report-unknown = 不明
# A card's first line. $name, $where (reader: in a reader now, typed: typed in by hand, remembered).
report-card =
    カード { $name }{ $where ->
        [reader] （リーダー内）
        [typed] （手入力）
       *[remembered] {""}
    }
# The labels of a card's lines. $field
report-field =
    { $field ->
        [status] 状態
        [certificate-expires] 電子証明書の有効期限
        [days] 残り日数
        [renewal-opens] 更新できる日
        [insurance-usable-until] マイナ保険証として使える期限
        [registered] 保険証利用登録
        [card-expires] カードの有効期限
       *[pins] 暗証番号の残り回数
    }
# $date, $inferred (yes, no)
report-card-expires =
    { $date }{ $inferred ->
        [yes] （証明書の日付から推定）
       *[no] {""}
    }
# One PIN's counter. $pin (auth, sign, card-info), $state (remaining, blocked, verified, unknown), $tries (a number)
report-pin =
    { $pin ->
        [auth] 利用者証明用
        [sign] 署名用
       *[card-info] 券面事項入力補助用
    } { $state ->
        [remaining] あと{ $tries }回
        [blocked] ロック中
        [verified] 照合済み（回数不明）
       *[unknown] 不明
    }
report-next-steps = 次にすること:

## The card actions (label, registered, card-expires, forget, refresh) and add

# $present, $remembered (numbers of cards)
cards-refreshed = リーダー内のカード{ $present }枚を読み直し、記憶しているカード{ $remembered }枚を今日の日付で判定し直しました。
# A card with a label. $label, $key (the start of its key)
cards-name = { $label }（{ $key }）
# A value before or after a change. $value, $empty (yes, no)
cards-value =
    { $empty ->
        [yes] （なし）
       *[no] 「{ $value }」
    }
cards-unchanged = 変更はありません（すでにその値です）。
# The label of a changed field. $field: its JSON name.
cards-field =
    { $field ->
        [label] ラベル
        [status] 状態
        [insurance_registered] 保険証利用登録
        [card_expires] カードの有効期限
        [certificate_expires] 電子証明書の有効期限
        [renewal_opens] 更新できる日
        [insurance_usable_until] マイナ保険証として使える期限
        [days_left] 残り日数
       *[actions] 次にすること
    }
# $name
cards-forgotten = カード { $name } を忘れました（記録を削除しました）。もう一度リーダーに入れると新しいカードとして記憶します。
add-remembered = 入力した日付でカードを記憶しました（リーダーで読み取ったら自動でひとつにまとめます）。
calendar-no-deadlines = カレンダーに書く期限がありません（記憶しているカードがないか、日付が分かりません）

## Finding a CARD (label or key prefix)

# $query: what was typed, quoted.
find-no-cards = カード { $query } はありません（記憶しているカードがありません）
# $query; the remembered cards follow, one per line.
find-unknown = カード { $query } はありません。記憶しているカード:
# $query; the matching cards follow, one per line.
find-ambiguous = { $query } に当てはまるカードが複数あります。キーの先頭をもっと長く指定してください:

## Readers: reader states and why a read failed (status, watch, the tray, doctor)

# A reader's state, short (status lists readers with it).
reader-empty = カードなし
reader-reading = カードを読み取り中
reader-read = 読み取り済み
reader-retrying = 読み取れませんでした。もう一度試します
reader-failed = 読み取れませんでした
reader-not-a-my-number-card = マイナンバーカードとして使えません

# One reader in status's list: $reader (its name), $state (above), $problem (below).
reader-line = { $reader }: { $state }
reader-line-problem = { $reader }: { $state }（{ $problem }）

# Why a read failed and what to do.
read-problem-removed-during-read = 読み取り中にカードが離れました。カードをしっかり置いてください
read-problem-in-use = ほかのアプリがカードを使用中です。そのアプリを終了してください
read-problem-unsupported-protocol = このリーダーはこのカードと通信できません。別のリーダーを使ってください
read-problem-no-answer = カードが応答しません。カードを置き直してください
read-problem-reader-error = リーダーのエラーです。リーダーを差し直してください
read-problem-card-error = カードが正しく応答しませんでした
read-problem-juki-card = 住民基本台帳カード（住基カード）です。マイナンバーカードを申請してください
read-problem-smartphone = スマートフォンの電子証明書です。カード本体を置いてください
read-problem-no-jpki-applet = マイナンバーカードではありません
read-problem-no-certificate = 利用者証明用電子証明書がありません。市区町村の窓口で発行を受けてください
read-problem-bad-certificate = 電子証明書を読み取れませんでした。市区町村の窓口にご相談ください

## mynawatch read

read-reader = カードリーダー: { $reader }
# $from, $to (ISO dates)
read-certificate = 利用者証明用電子証明書: { $from } 〜 { $to }
# One PIN's counter. $state (remaining, blocked, verified, unknown), $tries (a number)
read-pin =
    { $state ->
        [remaining] 残り{ $tries }回
        [blocked] ロック中
        [verified] 認証済み
       *[unknown] 不明
    }
# $auth, $sign, $info (each a read-pin)
read-pins = 暗証番号の残り回数: 利用者証明用 { $auth } / 署名用 { $sign } / 券面事項入力補助用 { $info }
# $error (why, from the card layer)
read-pins-failed = （暗証番号の残り回数を読めませんでした: { $error }）
# Before the steps the PIN counters add.
read-pin-steps = 暗証番号について：

## Calendar export (mynawatch calendar)

# The calendar's name.
calendar-name = マイナンバーカードの期限 (mynawatch)

# One event per deadline: its title, and its description.
calendar-renewal-opens = マイナンバーカード 電子証明書の更新受付開始
calendar-renewal-opens-about = 利用者証明用電子証明書の更新ができるようになります。カードと暗証番号を持って、お住まいの市区町村の窓口で更新してください。
calendar-certificate-expires = マイナンバーカード 電子証明書の有効期限
calendar-certificate-expires-about = 利用者証明用電子証明書の有効期限の日です。まだなら、市区町村の窓口で更新してください（期限後も更新できます）。
calendar-insurance-usable-until = マイナ保険証として使える最終日
calendar-insurance-usable-until-about = この日を過ぎると保険証利用登録が解除されます。それまでに電子証明書を更新してください。解除された後は、更新してからもう一度登録が必要です。
calendar-new-card-applications-open = 新しいマイナンバーカードの申請受付開始
calendar-new-card-applications-open-about = カード自体の有効期限が近づき、新しいカードを申請できるようになります（オンライン、証明写真機、郵送）。
calendar-new-card-apply-by = 新しいマイナンバーカードの申請期限（目安）
calendar-new-card-apply-by-about = カードの有効期限までに新しいカードを受け取るには、この日ごろまでに申請してください。

# An event's title with the card's label. $summary (a title above), $label.
calendar-summary-labelled = { $summary }（{ $label }）

## Tray indicator (mynawatch-tray)

tray-connecting = mynawatch デーモンに接続しています…
tray-daemon-unreachable = mynawatch デーモンが動いていません。「今すぐ確認」で起動します。
# A card in the tooltip and menu. $name, $status (a status word), $days (days left, in words)
tray-card-summary = { $name }：{ $status }（{ $days }）
tray-card-summary-no-days = { $name }：{ $status }
tray-enter-card-expiry = カードに印字された有効期限を入力…
# $name (the card's name, as `status` prints it)
tray-enter-card-expiry-in-terminal = 有効期限の入力: 端末で mynawatch card-expires { $name } YYYY-MM-DD
tray-dialog-title = カードの有効期限
tray-dialog-text = { $name } の表面に印字された「有効期限」（カード自体の期限）を選んでください。
tray-export-calendar = カレンダーに書き出す
tray-export-calendar-missing = カレンダーに書き出す（この版の mynawatch にはまだありません）
# $path (the file written). Two lines.
tray-exported-calendar =
    期限をカレンダーファイルに書き出しました: { $path }
    お使いのカレンダーに読み込んでください。
tray-refresh = 今すぐ確認
tray-quit = トレイを終了
# $what (the menu entry), $error
tray-failed = { $what }: できませんでした（{ $error }）

## Doctor (mynawatch doctor's findings and fixes)

# The name of a step, before its findings. $step (config, pcscd, readers, card, daemon, notifications, state-dir)
doctor-step =
    { $step ->
        [config] 設定ファイル
        [pcscd] pcscd
        [readers] カードリーダー
        [card] カード
        [daemon] mynawatch デーモン
        [notifications] デスクトップ通知
       *[state-dir] 記録の保存先
    }
# The mark before a finding. $severity (ok, info, warning, error)
doctor-severity =
    { $severity ->
        [ok] [正常]
        [info] [情報]
        [warning] [注意]
       *[error] [問題]
    }
# Before a finding's fix: "→ 対処: …"
doctor-fix-label = 対処
doctor-no-problems = 問題は見つかりませんでした。
# $errors, $warnings (numbers, at least one of them not 0)
doctor-summary = 問題 { $errors } 件、注意 { $warnings } 件。上の「対処」を上から順に試してください。

doctor-config-no-home = ホームディレクトリが分からないため、既定の設定を使います
# $path
doctor-config-valid = { $path } に誤りはありません
# $path
doctor-config-absent = { $path } はありません（既定の設定を使います）
# $error: the parser's message, naming the line.
doctor-config-invalid = 設定ファイルに誤りがあります: { $error }
doctor-config-invalid-fix = 示された行を直すか、ファイルを別の名前に変えてください。誤りがある間はデーモンが起動しません

doctor-pcscd-reachable = PC/SC サービス（pcscd）が応答しています
doctor-pcscd-not-installed = PC/SC サービス（pcscd）がインストールされていません
doctor-pcscd-not-installed-fix = sudo apt install pcscd でインストールしてください
doctor-pcscd-unreachable = PC/SC サービス（pcscd）に接続できません
doctor-pcscd-unreachable-fix = pcscd は pcscd.socket によって必要なときに起動します。sudo systemctl enable --now pcscd.socket を実行してください
# $error: what pcscd said.
doctor-pcscd-error = PC/SC サービス（pcscd）がエラーを返しました: { $error }
doctor-pcscd-error-fix = ssh などのリモートログインでは pcscd（polkit）に拒否されることがあります。デスクトップの端末から実行するか、sudo systemctl restart pcscd を試してください

# $reader: the reader's name as pcscd shows it.
doctor-reader-seen = pcscd が { $reader } を認識しています
# $device: a USB device, e.g. "Sony PaSoRi RC-S300 (054c:0dc8)"; $driver: a driver's name and version, e.g. "ifd-ccid.bundle 1.5.2".
doctor-usb-reader-not-loaded = USB 接続の { $device } はドライバー { $driver } が対応していますが、pcscd に認識されていません
doctor-usb-reader-not-loaded-fix = リーダーを抜いて差し直してください。直らなければ sudo systemctl restart pcscd を実行してください
# $device, $driver
doctor-usb-reader-supported = USB 接続の { $device } はドライバー { $driver } が対応しています
# $device
doctor-usb-reader-unsupported-on-linux = { $device } は Linux では使えません（ソニーの PC/SC ドライバーは Windows 用だけです）
doctor-usb-reader-unsupported-on-linux-fix = Linux で使えるリーダーに替えてください（後継機の RC-S300、接触型の SCR3310 や ACR39U など）
# $device, $driver: the libccid installed.
doctor-usb-reader-libccid-too-old = { $device } には libccid 1.4.35 以降が必要ですが、入っているのは { $driver } です
doctor-usb-reader-libccid-too-old-fix = libccid を更新してください（Debian 12、Ubuntu 22.04 以降の libccid は対応しています）
# An RC-S300 the installed libccid does not list. $device, $driver
doctor-usb-reader-not-listed = { $device } は、インストールされているドライバー（{ $driver }）に対応機種として載っていません
doctor-usb-reader-not-listed-fix = libccid 1.4.35 以降が必要です。libccid を更新してください
# $device
doctor-usb-reader-no-libccid = { $device } のドライバー（libccid）がインストールされていません
doctor-usb-reader-no-libccid-fix = sudo apt install libccid でインストールし、リーダーを差し直してください
# $device
doctor-usb-reader-needs-libacsccid1 = { $device } は libccid では使えず、ACS 社のドライバーが必要です
doctor-usb-reader-needs-libacsccid1-fix = sudo apt install libacsccid1 でインストールし、リーダーを差し直してください
# $device
doctor-usb-reader-no-driver = USB 接続の { $device } はカードリーダーのようですが、どのドライバーにも対応機種として載っていないため、pcscd は使いません
# $libccid (installed, none), $driver (when installed), $usb-id: e.g. "054c:0dc8"
doctor-usb-reader-no-driver-fix =
    { $libccid ->
        [installed] 新しい libccid なら対応しているかもしれません（現在は { $driver }）
       *[none] sudo apt install libccid でドライバーを入れてください
    }。ccid.apdu.fr の対応表で { $usb-id } を探してください
doctor-readers-not-checked = pcscd に接続できないため、pcscd が認識しているリーダーは確認していません（USB にもカードリーダーらしい機器は見つかりません）
doctor-no-reader = カードリーダーが見つかりません
doctor-no-reader-fix = カードリーダーを USB ポートに接続してください（Sony RC-S300 などの非接触型か、接触型のリーダー）

doctor-card-not-checked-no-pcscd = pcscd に接続できないため、カードは確認していません
doctor-card-not-checked-no-reader = リーダーがないため、カードは確認していません
# A state the daemon reports that this mynawatch does not know. $reader, $state, $reason (as the daemon sent them)
doctor-card-state-unknown = { $reader }: デーモンからの報告: { $state } { $reason }
# $reader
doctor-card-read = { $reader } のカードをデーモンが読み取りました（内容は mynawatch status で確認できます）
# $reader
doctor-card-reading = { $reader } のカードをデーモンが読み取り中です
# $reader, $problem: why, a sentence from the readers' section (or an error's text).
doctor-card-unreadable = { $reader } のカードを読み取れません: { $problem }
# $reader, $problem
doctor-card-not-my-number-card = { $reader } のカードはマイナンバーカードとして使えません: { $problem }
doctor-no-card = リーダーにカードがありません。マイナンバーカードを置いてもう一度 mynawatch doctor を実行すると、読み取れるか確認できます
# $error: what pcscd said.
doctor-card-presence-unknown = カードの有無を確認できませんでした: { $error }
# $reader
doctor-card-readable = { $reader } のマイナンバーカードを読み取れます

# $error: why the bus cannot be reached.
doctor-no-session-bus = D-Bus セッションバスに接続できません（{ $error }）
doctor-no-session-bus-fix = デスクトップにログインした状態で、その端末から実行してください（環境変数 DBUS_SESSION_BUS_ADDRESS が必要です）
doctor-daemon-running = デーモンが動いています
doctor-daemon-not-running-activatable = デーモンが動いていません。ほかのプログラムから呼ばれれば起動しますが、動いていない間はカードを置いても反応しません
doctor-daemon-enable-fix = systemctl --user enable --now mynawatch を実行してください
doctor-daemon-not-running = デーモンが動いておらず、D-Bus から起動することもできません
doctor-daemon-not-running-fix = systemctl --user enable --now mynawatch を実行するか、mynawatch daemon を起動してください
doctor-daemon-activatable = D-Bus から起動できます（mynawatch status などで自動的に起動します）
# $bus-name: the daemon's D-Bus name.
doctor-daemon-not-activatable = D-Bus の起動設定（{ $bus-name }.service）がありません
# $bus-name
doctor-daemon-not-activatable-fix = パッケージを入れ直してください（ソースからなら make install で /usr/share/dbus-1/services/{ $bus-name }.service に入ります）
# $how: what systemctl is-enabled said (enabled, static, …).
doctor-daemon-enabled = ログインのたびに起動します（systemd: { $how }）
doctor-daemon-disabled = ログイン時に起動しない設定です（systemd: disabled）
doctor-daemon-masked = systemd で無効化（mask）されています
doctor-daemon-masked-fix = systemctl --user unmask mynawatch と systemctl --user enable --now mynawatch を実行してください
doctor-daemon-no-unit = systemd のユーザーサービス mynawatch.service が見つからないため、ログイン時に起動しません
doctor-daemon-no-unit-fix = パッケージでインストールするか（make install でも入ります）、デスクトップの自動起動に mynawatch daemon を登録してください
# $said: what systemctl said.
doctor-daemon-enabled-unknown = systemd に起動設定を問い合わせられませんでした（{ $said }）
doctor-daemon-no-systemctl = systemctl がないため、ログイン時の起動は確認していません。デスクトップの自動起動に mynawatch daemon を登録してください

doctor-notifications-off = 設定ファイルで通知がオフになっています（notifications = false）
doctor-notifications-not-checked = セッションバスがないため確認していません
doctor-notification-server = 通知サーバーが動いています
doctor-notification-server-activatable = 通知サーバーは必要なときに起動します
doctor-no-notification-server = 通知サーバーがないため、お知らせがポップアップで表示されません（mynawatch status やトレイでは確認できます）
doctor-no-notification-server-fix = デスクトップ環境にログインしてください（GNOME や KDE には通知サーバーが含まれます。Xfce なら xfce4-notifyd、ほかの環境なら dunst などを入れてください）

# $error: why there is none.
doctor-state-dir-unknown = 記録の保存先を決められません: { $error }
doctor-state-dir-unknown-fix = HOME（または XDG_STATE_HOME）を設定してください
# $path
doctor-state-dir-writable = { $path } に書き込めます
# $path, $error
doctor-state-dir-not-writable = { $path } に書き込めません: { $error }
# $path
doctor-state-dir-not-writable-fix = { $path } の所有者と権限（chmod u+rwx）、ディスクの空き容量を確認してください
