//! Exit statuses, one meaning each. The man page's EXIT STATUS section is written from [`Exit::ALL`],
//! and the unit's `RestartPreventExitStatus=` lists exactly those of the daemon's that a restart cannot
//! fix ([`Exit::from_daemon`], [`Exit::restart_helps`]); tests/ship_systemd.rs checks both against
//! this list.

use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Success,
    /// What the command needs is not there: the daemon (or the card named) for the D-Bus clients;
    /// pcscd, a reader or a card for `read`; for `daemon`: another one already runs.
    Unavailable,
    /// A bad command line (clap's usage errors exit 2 too) or bad input (`check`: a bad file;
    /// `read`: a card that is not a My Number Card or cannot be read).
    BadInput,
    /// The configuration file cannot be read or is invalid.
    Config,
    /// The state directory cannot be found, created or read.
    StateDir,
    /// The daemon failed while running (lost the session bus, cannot watch readers, …).
    Failed,
    /// `doctor`: nothing is broken, but something needs attention (its worst finding is a warning).
    DoctorWarning,
    /// `doctor`: a step of the chain is broken (its worst finding is an error).
    DoctorProblem,
}

impl Exit {
    pub const ALL: [Exit; 8] = [
        Exit::Success,
        Exit::Unavailable,
        Exit::BadInput,
        Exit::Config,
        Exit::StateDir,
        Exit::DoctorWarning,
        Exit::DoctorProblem,
        Exit::Failed,
    ];

    pub const fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Unavailable => 1,
            Exit::BadInput => 2,
            Exit::Config => 3,
            Exit::StateDir => 4,
            Exit::DoctorWarning => 5,
            Exit::DoctorProblem => 6,
            // EX_TEMPFAIL (sysexits.h): "temporary failure, try again".
            Exit::Failed => 75,
        }
    }

    /// Can `mynawatch daemon` end with this status? (The unit's `RestartPreventExitStatus=` is about
    /// those only.)
    pub const fn from_daemon(self) -> bool {
        match self {
            Exit::Success
            | Exit::Unavailable
            | Exit::BadInput
            | Exit::Config
            | Exit::StateDir
            | Exit::Failed => true,
            Exit::DoctorWarning | Exit::DoctorProblem => false,
        }
    }

    /// Would starting the daemon again help? Not for a mistake the user has to fix first: systemd
    /// must leave the unit `failed` (with the reason in the journal) instead of restarting it.
    pub const fn restart_helps(self) -> bool {
        matches!(self, Exit::Failed)
    }

    /// One line for the man page.
    pub const fn meaning(self) -> &'static str {
        match self {
            Exit::Success => "success; for the daemon: stopped by SIGTERM, SIGINT or SIGHUP (state saved).",
            Exit::Unavailable => {
                "what the command needs is not there. status, watch, calendar and the card commands \
                 (label, registered, card-expires, forget, refresh, add): the daemon cannot be reached \
                 (no session bus, or it could not be started), the CARD given names no single card, \
                 the daemon refused the change, or calendar has no dates to write; read: pcscd is not \
                 running, there is no reader, or no card is in it (or it was taken out during the \
                 read); daemon: another mynawatch daemon already owns the bus name."
            }
            Exit::BadInput => {
                "a bad command line, or bad input: check: a file that is not a certificate; read: no \
                 reader of the name given, or a card that is not a My Number Card or cannot be read."
            }
            Exit::Config => {
                "the configuration file cannot be read or is invalid (the message names the line)."
            }
            Exit::StateDir => {
                "daemon: the state directory cannot be found, created or read (e.g. a read-only \
                 file system)."
            }
            Exit::DoctorWarning => {
                "doctor: nothing is broken, but something needs attention (e.g. no notification \
                 server, the service not enabled); the output says what to do."
            }
            Exit::DoctorProblem => {
                "doctor: a step is broken, so a card put in a reader would not be seen or read (e.g. \
                 pcscd unreachable, no usable reader, an unreadable card, no daemon that can start, \
                 a bad configuration file); the output says what to do."
            }
            Exit::Failed => {
                "daemon: it failed while running (lost the session bus, cannot watch the readers); \
                 systemd restarts it, a bounded number of times. A crash (panic, signal) is \
                 restarted the same way."
            }
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_only_failures_while_running_restart() {
        let mut codes: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Exit::ALL.len());
        let restart: Vec<Exit> = Exit::ALL
            .into_iter()
            .filter(|e| e.restart_helps())
            .collect();
        assert_eq!(restart, [Exit::Failed]);
        assert!(Exit::ALL
            .into_iter()
            .filter(|e| e.restart_helps())
            .all(Exit::from_daemon));
        // clap exits 2 on a usage error: the same meaning as ours.
        assert_eq!(Exit::BadInput.code(), 2);
    }
}
