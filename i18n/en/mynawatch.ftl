# mynawatch — English.
#
# One message per id; the code passes the variables named in each comment (see the Japanese file,
# the reference). Japanese names of documents and services stay in Japanese next to the English,
# as they are printed on the forms and screens. How to add a language: docs/translating.md.

## Dates and counts

# ISO dates: unambiguous everywhere.
date = { $iso }

days-left =
    { $days ->
        [0] today is the last day
        [one] { $days } day left
       *[other] { $days } days left
    }

# The birthday a renewed certificate runs to. $birthdays (a number).
birthday-ordinal =
    { NUMBER($birthdays, type: "ordinal") ->
        [one] { $birthdays }st
        [two] { $birthdays }nd
        [few] { $birthdays }rd
       *[other] { $birthdays }th
    }

## Next steps (the rule core's actions; ids listed in docs/rules.md)

-where = your municipal office (or a post office your municipality designates, if any)
-bring = Bring the card and both PINs (the 4-digit user-authentication PIN and the 6–16-character signature PIN). It is free of charge, and a forgotten PIN can be reset at the same visit.
-after-renewal = Allow about a day before health insurance sees the new certificate, then check マイナポータル → 健康保険証.
-register-ways = Three ways: the マイナポータル app (an NFC smartphone, the card and the 4-digit PIN), a Seven Bank ATM, or the face-recognition card reader at a clinic or pharmacy (you can register right there at reception).
-new-card-how = Use the application form sent with the expiry notice (交付申請書): apply online by smartphone or PC, at a photo booth, or by mail. A postcard (交付通知書) tells you when the card is ready; you pick it up at the municipal office. Express issue (特急発行) does not cover an expiring card.
-book = Many offices work by reservation only, sometimes booked two months ahead: book early.
-tell = mynawatch card-expires CARD YYYY-MM-DD (--card-expires with check; SetCardExpires on D-Bus)
card-face-compare = If the expiry printed on your card is also { $expires }, you need a new card instead (a card applied for under 18, a foreign resident's period of stay, a certificate re-issued after it lapsed); then tell mynawatch that date: { -tell }.
-inferred = mynawatch inferred the card's expiry: the certificate runs more than five years, so it was renewed early and ends with the card. If the expiry printed on your card differs, set it: { -tell }.
-foreign = Foreign residents with a period of stay: after renewing it, have the card's validity changed at the municipal office before the card expires (it is not extended automatically, and no notice is sent).

renew-later =
    No renewal needed yet. You can renew the certificate from about { $renewal-opens } until { $expires } at { -where }. J-LIS mails an expiry notice (有効期限通知書) 2–3 months before expiry; it is not forwarded, so it will not reach you if you rely on mail forwarding. Renewing in that window gives a certificate that normally runs to your { birthday-ordinal } birthday after renewal.{ $card-face ->
        [unknown] {" "}{ card-face-compare }
       *[known] {""}
    }

new-card-later =
    Your card itself expires on { $card-expires }, so you will need a new card rather than a certificate renewal. You can apply from about { $applications-open } (getting the card takes 1–2 months).{ $source ->
        [certificate-span] {" "}{ -inferred }
       *[user] {""}
    }

renew-certificate =
    { $phase ->
        [expired] Your certificate expired on { $expires }. Renew it (re-issue) at { -where } as soon as you can, at the latest by { $grace-end }, before your health-insurance registration is cancelled. { -book } { -bring } { -after-renewal }
        [lapsed] Your certificate expired on { $expires } and the grace period ended on { $grace-end }. First renew the certificate (re-issue) at { -where }. { -book } { -bring }
       *[open] Renew the electronic certificate by { $expires } at { -where }. { -book } { -bring } Renewing now loses no time: the new certificate normally runs to your { birthday-ordinal } birthday after renewal (never past the card's own expiry). { -after-renewal }
    }{ $card-face ->
        [unknown] {" "}{ card-face-compare }
       *[known] {""}
    }

apply-new-card =
    { $when ->
        [expired] Your card itself expired on { $card-expires }. A certificate renewal is not possible: apply for a new card (free of charge).
       *[ahead] Your card itself expires on { $card-expires }, so you need a new card, not a certificate renewal: apply for a new card{ $opens ->
            [later] {" "}from about { $applications-open }
           *[now] {""}
        }. Getting it takes 1–2 months, so apply early{ $deadline ->
            [ahead] {" "}(by about { $apply-by })
           *[passed] {" "}now
        }.
    } { -new-card-how } { -book }{ $source ->
        [certificate-span] {" "}{ -inferred }
       *[user] {" "}{ -foreign }
    }

new-card-insurance =
    Until the new card arrives, your health insurer issues a 資格確認書 (eligibility certificate) on application (カード更新中, card being renewed).{ $grace ->
        [open] {" "}After the card expires, マイナ保険証 still works for eligibility checks only, at the latest until { $grace-end }; do not wait for that.
       *[over] {""}
    } Once you have the new card, check that マイナポータル → 健康保険証 says 登録済 (registered); if not, register it again.

# "After the fix, …" (lower-case continuation follows). $after (renew, new-card, none).
after-fix =
    { $after ->
        [renew] After renewing the certificate,
        [new-card] After receiving the new card,
       *[none] {""}
    }

register-insurance =
    { $after ->
        [none] Register
       *[other] { after-fix } register
    } the card for health-insurance use. { -register-ways }

check-registration =
    { $after ->
        [none] Check
       *[other] { after-fix } check
    } whether the card is registered for health-insurance use: マイナポータル (app or website) → 健康保険証. Registrations made at a clinic's card reader show there too.

re-register-insurance =
    The grace period is over, so the health-insurance registration has been cancelled. { after-fix } register the card for health-insurance use again. { -register-ways }

ask-insurer-eligibility-certificate =
    { $grace ->
        [open] If you cannot renew by { $grace-end }, ask your health insurer about a 資格確認書 (eligibility certificate).
       *[over] Until you have renewed and registered again, ask your health insurer about a 資格確認書 (eligibility certificate) for clinic visits.
    } National policy is to issue one without application once the certificate has expired, but when and how depends on the insurer.

-pin-locked-clinic = The card still works as health-insurance card at clinics and pharmacies through face recognition (or a visual check by staff).
-pin-locked-office = You can have it reset at your municipal office (bring the card).
-pin-reset-same-visit = It can be reset during the same visit as the certificate renewal.

reset-pin-auth = The user-authentication PIN (4 digits) is locked. { -pin-locked-clinic } { -pin-locked-office } { $certs ->
        [valid] While the certificates are valid, and if you know the signature PIN, you can also reset it at a convenience store (Seven-Eleven or AEON) after booking in the JPKI PIN reset app (JPKI暗証番号リセット).
       *[expired] { -pin-reset-same-visit }
    }
reset-pin-sign = The signature PIN (6–16 characters) is locked. { -pin-locked-clinic } { -pin-locked-office } { $certs ->
        [valid] While the certificates are valid, and if you know the 4-digit user-authentication PIN, you can also reset it at a convenience store (Seven-Eleven or Lawson) after booking in the JPKI PIN reset app (JPKI暗証番号リセット).
       *[expired] { -pin-reset-same-visit }
    }
reset-pin-card-info = The card-information PIN (券面事項入力補助用, 4 digits) is locked. { -pin-locked-clinic } { -pin-locked-office } This PIN cannot be reset at a convenience store.

pin-last-try-name =
    { $pin ->
        [auth] user-authentication PIN (4 digits)
        [sign] signature PIN (6–16 characters)
       *[card-info] card-information PIN (券面事項入力補助用, 4 digits)
    }
pin-last-try-and = {" and the "}
pin-last-try = One more wrong entry locks the { $pins }. If you are not sure of it, do not try it: have it reset at your municipal office (bring the card). Renewing the certificate at the office asks for the PINs too.

get-my-number-card = This is an old Basic Resident Register card (住基カード), which cannot be used as health-insurance card. Apply for a My Number Card (online by smartphone or PC, at a photo booth, by mail or at the office; getting it takes 1–2 months), then register it for health-insurance use. { -register-ways }
use-physical-card = This is the smartphone My Number Card function (スマホ用電子証明書). mynawatch checks the certificate on the physical card: put the My Number Card itself on the reader.
unknown-card = This card was not recognised as a My Number Card. Put your My Number Card on the reader again.
issue-certificate = The user-authentication certificate could not be read. The card may have none (never issued, or revoked), and without it the card cannot be used as health-insurance card. It can be issued free of charge at { -where }; bring the card. If the card was moved during the read, read it again.

## Dated measures (policy `measures`; the id is the measure's)

measure-expired-insurance-card-until-2026-03-31 = Until 2026-07-31 (extended from the end of March; no further extension planned), as a temporary measure, clinics may accept an expired insurance card, or the 資格情報のお知らせ (eligibility notice) alone, at the normal co-payment if they can confirm your eligibility online. From August, only マイナ保険証 or a 資格確認書 is accepted.
measure-koki-eligibility-certificate-until-2026-07-31 = If you are covered by 後期高齢者医療 (75 or older), you receive a 資格確認書 (eligibility certificate) automatically until 2026-07-31, with or without マイナ保険証.
measure-koki-eligibility-certificate-from-2026-08-01 = From 2026-08-01 to 2027-07-31, in 後期高齢者医療, people aged 85 or older still receive a 資格確認書 automatically; those aged 84 or younger receive a 資格確認書 or a 資格情報のお知らせ depending on whether they use マイナ保険証 (you can still apply for a 資格確認書). What follows from August 2027 has not been decided.

## Headlines: where the holder stands, in one sentence

headline-valid = Your certificate is valid ({ days-left })
headline-valid-new-card-next = Your certificate is valid; next time you need a new card ({ days-left })
headline-renewal-open = You can renew your certificate now ({ days-left })
headline-new-card-due = Your card expires soon: apply for a new card ({ days-left })
headline-expired = Your certificate has expired: renew it now (マイナ保険証 works for eligibility checks only, at the latest until { $until }; { days-left })
headline-card-expired = Your card has expired: apply for a new card (マイナ保険証 works for eligibility checks only, at the latest until { $until }; { days-left })
headline-lapsed = The grace period is over: the health-insurance registration has been cancelled
headline-lapsed-new-card = The grace period is over: apply for a new card, then check its health-insurance registration
headline-lapsed-unregistered = The grace period is over: the card cannot be used as health-insurance card until you renew
headline-no-certificate = The user-authentication certificate could not be read
headline-not-a-my-number-card = This is not a My Number Card

## Notifications

notify-merged-summary =
    { $named ->
        [yes] { $label }: the card you typed in was read
       *[no] The card you typed in was read
    }
notify-merged-body =
    { $named ->
        [yes] "{ $label }", typed in by hand, and the card just read are now one (name and answers kept).
       *[no] The card you typed in and the card just read are now one.
    }
notify-bullet = • { $text }
notify-title =
    { $kind ->
        [card] Card
       *[my-number-card] My Number Card
    }{ $named ->
        [yes] {" "}“{ $label }”
       *[no] {""}
    }: { $what }
notify-what =
    { $what ->
        [valid] certificate valid
        [renewal-open] time to renew the certificate
        [renewal-open-new-card] time to apply for a new card
        [expired-grace] the certificate has expired
        [expired-grace-new-card] the card has expired: apply for a new card
        [registration-lapsed] health-insurance registration cancelled
        [registration-lapsed-new-card] health-insurance registration cancelled: apply for a new card
       *[not-a-my-number-card] not recognised as a My Number Card
    }
notify-check-pins = check your PINs
notify-deadline-expires =
    Certificate expires { $date }{ $known ->
        [yes] {" "}({ days-left })
       *[no] {""}
    }
notify-deadline-usable-until =
    Usable as health-insurance card until { $date }{ $known ->
        [yes] {" "}({ days-left })
       *[no] {""}
    }
notify-deadline-grace-ended = The grace period ended on { $date }
answer-registered-yes = Registered for insurance
answer-registered-no = Not registered yet
button-open-guide = Open guide

## The status report (status, watch, the tray)

status-word =
    { $status ->
        [valid] valid
        [renewal-open] renewal open
        [expired-grace] expired, grace period
        [registration-lapsed] insurance registration cancelled
       *[not-a-my-number-card] not a My Number Card
    }
days-to-expiry =
    { $days ->
        [one] { $days } day left until the certificate expires
       *[other] { $days } days left until the certificate expires
    }
days-to-grace-end =
    { $days ->
        [one] { $days } day left in the grace period
       *[other] { $days } days left in the grace period
    }
days-since-grace-end =
    { $days ->
        [one] { $days } day since the grace period ended
       *[other] { $days } days since the grace period ended
    }

## The assessment summary (check, read)

summary-certificate-expires = Certificate expires: { $date }
summary-card-expires =
    Card expires: { $date }{ $source ->
        [user] {" "}(as you told mynawatch)
       *[certificate-span] {" "}(inferred from the certificate)
    }
summary-new-card-applications = New card applications: from about { $from } (apply by about { $by })
summary-renewal-possible = Renewal possible: from about { $date }
summary-insurance-usable-until = マイナ保険証 usable until: { $date } (eligibility checks only after the certificate expires)
summary-days =
    { $phase ->
        [lapsed] Grace period ended: { $days ->
            [one] { $days } day ago
           *[other] { $days } days ago
        }
        [grace] Days left: { $days } (until マイナ保険証 stops working)
       *[valid] Days left: { $days } (until the certificate expires)
    }
summary-next-steps = Next steps:
report-header = mynawatch { $version } — readers: { $readers }
report-no-readers = none
report-no-cards = No cards remembered yet. Put your My Number Card into a reader.
report-unknown = unknown
report-card =
    Card { $name }{ $where ->
        [reader] {" "}(in a reader)
        [typed] {" "}(typed in)
       *[remembered] {""}
    }
report-field =
    { $field ->
        [status] status
        [certificate-expires] certificate expires
        [days] days
        [renewal-opens] renewal opens
        [insurance-usable-until] usable as insurance card until
        [registered] registered for insurance
        [card-expires] card expires
       *[pins] PIN tries left
    }
report-card-expires =
    { $date }{ $inferred ->
        [yes] {" "}(inferred from the certificate)
       *[no] {""}
    }
report-pin =
    { $pin ->
        [auth] auth
        [sign] sign
       *[card-info] card-info
    } { $state ->
        [remaining] { $tries }
        [blocked] blocked
        [verified] verified (count unknown)
       *[unknown] unknown
    }
report-next-steps = next steps:

## The card actions (label, registered, card-expires, forget, refresh) and add

cards-refreshed = Re-read { $present } card(s) in the readers and re-evaluated { $remembered } remembered card(s) for today.
cards-name = { $label } ({ $key })
cards-value =
    { $empty ->
        [yes] (none)
       *[no] "{ $value }"
    }
cards-unchanged = nothing changed (it already had that value).
cards-field =
    { $field ->
        [label] label
        [status] status
        [insurance_registered] registered for insurance
        [card_expires] card expires
        [certificate_expires] certificate expires
        [renewal_opens] renewal opens
        [insurance_usable_until] usable as insurance card until
        [days_left] days left
       *[actions] next steps
    }
cards-forgotten = Forgot card { $name } (its record is deleted). Put it into a reader again to have it remembered as a new card.
add-remembered = Remembered the card from the dates you typed (when it is read in a reader, the two become one).
calendar-no-deadlines = no deadlines to write (no cards remembered, or none with known dates)

## Finding a CARD (label or key prefix)

find-no-cards = no card { $query } (no cards are remembered)
find-unknown = no card { $query }; remembered cards:
find-ambiguous = { $query } matches several cards; give more of the key:

## Readers: reader states and why a read failed (status, watch, the tray, doctor)

# A reader's state, short (status lists readers with it).
reader-empty = no card
reader-reading = reading the card
reader-read = card read
reader-retrying = could not read the card; trying again
reader-failed = could not read the card
reader-not-a-my-number-card = not a usable My Number Card

# One reader in status's list: $reader (its name), $state (above), $problem (below).
reader-line = { $reader }: { $state }
reader-line-problem = { $reader }: { $state } ({ $problem })

# Why a read failed and what to do.
read-problem-removed-during-read = the card left the reader during the read; put it down firmly
read-problem-in-use = another program is using the card; close that program
read-problem-unsupported-protocol = this reader cannot talk to this card; use another reader
read-problem-no-answer = the card does not answer; take it out and put it back
read-problem-reader-error = the reader reported an error; plug it in again
read-problem-card-error = the card did not answer as expected
read-problem-juki-card = this is a Basic Resident Register card (住基カード); apply for a My Number Card
read-problem-smartphone = this is a smartphone's certificate; put the card itself on the reader
read-problem-no-jpki-applet = this is not a My Number Card
read-problem-no-certificate = the card has no user-authentication certificate; have one issued at your municipal office
read-problem-bad-certificate = the certificate on the card could not be used; ask your municipal office

## mynawatch read

read-reader = Reader: { $reader }
read-certificate = User-authentication certificate: { $from } to { $to }
read-pin =
    { $state ->
        [remaining]
            { $tries ->
                [one] { $tries } try left
               *[other] { $tries } tries left
            }
        [blocked] locked
        [verified] verified
       *[unknown] unknown
    }
read-pins = PIN retries: authentication { $auth } / signature { $sign } / card info { $info }
read-pins-failed = (PIN retry counters could not be read: { $error })
read-pin-steps = About the PINs:

## Calendar export (mynawatch calendar)

# The calendar's name.
calendar-name = My Number Card deadlines (mynawatch)

# One event per deadline: its title, and its description.
calendar-renewal-opens = My Number Card: certificate renewal opens
calendar-renewal-opens-about = From today the user-authentication certificate can be renewed: take the card and its PINs to your municipal office.
calendar-certificate-expires = My Number Card: certificate expires
calendar-certificate-expires-about = The last day of the user-authentication certificate. Renew it at your municipal office if you have not yet (possible after expiry too).
calendar-insurance-usable-until = My Number Card: last day usable as health-insurance card
calendar-insurance-usable-until-about = After this day the health-insurance registration is cancelled. Renew the certificate before then; afterwards, renew and register again.
calendar-new-card-applications-open = My Number Card: applications for a new card open
calendar-new-card-applications-open-about = The card itself expires soon: from today you can apply for a new card (online, photo booth or by mail).
calendar-new-card-apply-by = My Number Card: apply for a new card by this day
calendar-new-card-apply-by-about = Apply for the new card by about this day to have it before the old one expires.

# An event's title with the card's label. $summary (a title above), $label.
calendar-summary-labelled = { $summary } ({ $label })

## Tray indicator (mynawatch-tray)

tray-connecting = Connecting to the mynawatch daemon…
tray-daemon-unreachable = The mynawatch daemon is not running. “Check now” starts it.
tray-card-summary = { $name }: { $status } ({ $days })
tray-card-summary-no-days = { $name }: { $status }
tray-enter-card-expiry = Enter the date printed on the card…
tray-enter-card-expiry-in-terminal = To enter the card's expiry: mynawatch card-expires { $name } YYYY-MM-DD
tray-dialog-title = The card's expiry
tray-dialog-text = Pick the expiry date printed on the front of { $name } (the card's own expiry).
tray-export-calendar = Export to calendar
tray-export-calendar-missing = Export to calendar (not in this version of mynawatch yet)
tray-exported-calendar =
    The deadlines were written to { $path }
    Import it into your calendar.
tray-refresh = Check now
tray-quit = Quit tray
tray-failed = { $what }: failed ({ $error })

## Doctor (mynawatch doctor's findings and fixes)

doctor-step =
    { $step ->
        [config] configuration
        [pcscd] pcscd
        [readers] readers
        [card] card
        [daemon] mynawatch daemon
        [notifications] desktop notifications
       *[state-dir] state directory
    }
doctor-severity =
    { $severity ->
        [ok] [ok]
        [info] [info]
        [warning] [warning]
       *[error] [error]
    }
doctor-fix-label = fix
doctor-no-problems = No problems found.
doctor-summary = { $errors } { $errors ->
        [one] error
       *[other] errors
    }, { $warnings } { $warnings ->
        [one] warning
       *[other] warnings
    }: try the fixes above, from the top.

doctor-config-no-home = no home directory: the defaults are used
doctor-config-valid = { $path } is valid
doctor-config-absent = { $path } does not exist: the defaults are used
doctor-config-invalid = the configuration file is invalid: { $error }
doctor-config-invalid-fix = fix the line named, or move the file away: the daemon does not start while it is invalid

doctor-pcscd-reachable = the PC/SC service (pcscd) answers
doctor-pcscd-not-installed = the PC/SC service (pcscd) is not installed
doctor-pcscd-not-installed-fix = install it: sudo apt install pcscd
doctor-pcscd-unreachable = the PC/SC service (pcscd) cannot be reached
doctor-pcscd-unreachable-fix = pcscd is started by pcscd.socket when a program connects: sudo systemctl enable --now pcscd.socket
doctor-pcscd-error = the PC/SC service (pcscd) reported an error: { $error }
doctor-pcscd-error-fix = check that pcscd does not refuse this session (polkit, e.g. over ssh), then try sudo systemctl restart pcscd

doctor-reader-seen = pcscd sees { $reader }
doctor-usb-reader-not-loaded = the USB device { $device } is listed by the driver { $driver }, but pcscd does not show it
doctor-usb-reader-not-loaded-fix = unplug the reader and plug it in again; if that does not help: sudo systemctl restart pcscd
doctor-usb-reader-supported = the USB device { $device } is supported by the driver { $driver }
doctor-usb-reader-unsupported-on-linux = { $device } does not work on Linux: Sony's PC/SC driver is for Windows only
doctor-usb-reader-unsupported-on-linux-fix = use a reader that works on Linux, e.g. its successor RC-S300 or a contact reader such as SCR3310 or ACR39U
doctor-usb-reader-libccid-too-old = { $device } needs libccid 1.4.35 or newer; { $driver } is installed
doctor-usb-reader-libccid-too-old-fix = update libccid (the one in Debian 12 and Ubuntu 22.04 or newer supports it)
doctor-usb-reader-not-listed = { $device } is not listed by the installed driver ({ $driver })
doctor-usb-reader-not-listed-fix = it needs libccid 1.4.35 or newer: update libccid
doctor-usb-reader-no-libccid = the driver for { $device } (libccid) is not installed
doctor-usb-reader-no-libccid-fix = install it (sudo apt install libccid) and plug the reader in again
doctor-usb-reader-needs-libacsccid1 = { $device } is not supported by libccid; it needs ACS's own driver
doctor-usb-reader-needs-libacsccid1-fix = install it (sudo apt install libacsccid1) and plug the reader in again
doctor-usb-reader-no-driver = the USB device { $device } looks like a card reader, but no installed driver lists it, so pcscd ignores it
doctor-usb-reader-no-driver-fix =
    { $libccid ->
        [installed] a newer libccid may list it (installed: { $driver })
       *[none] install the driver: sudo apt install libccid
    }; look { $usb-id } up in the lists at ccid.apdu.fr
doctor-readers-not-checked = pcscd cannot be reached, so its readers were not checked (and no USB device looks like a card reader)
doctor-no-reader = no smart-card reader found
doctor-no-reader-fix = plug a smart-card reader into a USB port (a contactless one such as the Sony RC-S300, or a contact reader)

doctor-card-not-checked-no-pcscd = not checked: pcscd cannot be reached
doctor-card-not-checked-no-reader = not checked: there is no reader to hold a card
doctor-card-state-unknown = { $reader }: the daemon reports { $state } { $reason }
doctor-card-read = the daemon read the card in { $reader } (mynawatch status shows what it says)
doctor-card-reading = the daemon is reading the card in { $reader }
doctor-card-unreadable = the card in { $reader } cannot be read: { $problem }
doctor-card-not-my-number-card = the card in { $reader } is not a usable My Number Card: { $problem }
doctor-no-card = no card in any reader: put your My Number Card on the reader and run mynawatch doctor again to check that it can be read
doctor-card-presence-unknown = could not tell whether a card is present: { $error }
doctor-card-readable = the My Number Card in { $reader } can be read

doctor-no-session-bus = cannot connect to the D-Bus session bus ({ $error })
doctor-no-session-bus-fix = run this in a terminal of your desktop session (DBUS_SESSION_BUS_ADDRESS must be set)
doctor-daemon-running = the daemon is running
doctor-daemon-not-running-activatable = the daemon is not running: it starts when a program asks for it, but only a running daemon notices a card put on the reader
doctor-daemon-enable-fix = run: systemctl --user enable --now mynawatch
doctor-daemon-not-running = the daemon is not running, and D-Bus cannot start it
doctor-daemon-not-running-fix = run systemctl --user enable --now mynawatch, or start mynawatch daemon
doctor-daemon-activatable = D-Bus can start it (mynawatch status and other clients start it on demand)
doctor-daemon-not-activatable = D-Bus has no activation file for it ({ $bus-name }.service)
doctor-daemon-not-activatable-fix = reinstall the package, or make install, which puts it in /usr/share/dbus-1/services/{ $bus-name }.service
doctor-daemon-enabled = it starts at every login (systemd: { $how })
doctor-daemon-disabled = it does not start at login (systemd: disabled)
doctor-daemon-masked = it is masked in systemd
doctor-daemon-masked-fix = run systemctl --user unmask mynawatch, then systemctl --user enable --now mynawatch
doctor-daemon-no-unit = systemd has no user service mynawatch.service, so nothing starts the daemon at login
doctor-daemon-no-unit-fix = install the package (or make install), or add mynawatch daemon to your desktop's autostart
doctor-daemon-enabled-unknown = could not ask systemd whether it starts at login ({ $said })
doctor-daemon-no-systemctl = no systemctl: start at login was not checked; add mynawatch daemon to your desktop's autostart

doctor-notifications-off = notifications are turned off in the configuration (notifications = false)
doctor-notifications-not-checked = not checked: there is no session bus
doctor-notification-server = a notification server is running
doctor-notification-server-activatable = a notification server starts when needed
doctor-no-notification-server = there is no notification server: reminders do not pop up, they show only in mynawatch status and the tray
doctor-no-notification-server-fix = log in to a desktop session (GNOME and KDE include one; on Xfce install xfce4-notifyd, elsewhere e.g. dunst)

doctor-state-dir-unknown = no state directory: { $error }
doctor-state-dir-unknown-fix = set HOME (or XDG_STATE_HOME)
doctor-state-dir-writable = { $path } is writable
doctor-state-dir-not-writable = cannot write to { $path }: { $error }
doctor-state-dir-not-writable-fix = check the owner and permissions of { $path } (chmod u+rwx) and the free disk space
