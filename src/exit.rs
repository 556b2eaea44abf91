//! Exit statuses, one meaning each. The man page's EXIT STATUS section is written from [`Exit::ALL`],
//! and the unit's `RestartPreventExitStatus=` lists exactly those a restart cannot fix
//! ([`Exit::restart_helps`]); tests/ship.rs checks both against this list.

use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Success,
    /// `status`/`watch`: the daemon cannot be reached; `daemon`: another one already runs.
    Unavailable,
    /// A bad command line (clap's usage errors exit 2 too) or bad input (`check`, `read`).
    BadInput,
    /// The configuration file cannot be read or is invalid.
    Config,
    /// The state directory cannot be found, created or read.
    StateDir,
    /// The daemon failed while running (lost the session bus, cannot watch readers, …).
    Failed,
}

impl Exit {
    pub const ALL: [Exit; 6] = [
        Exit::Success,
        Exit::Unavailable,
        Exit::BadInput,
        Exit::Config,
        Exit::StateDir,
        Exit::Failed,
    ];

    pub const fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Unavailable => 1,
            Exit::BadInput => 2,
            Exit::Config => 3,
            Exit::StateDir => 4,
            // EX_TEMPFAIL (sysexits.h): "temporary failure, try again".
            Exit::Failed => 75,
        }
    }

    /// Would starting the daemon again help? Not for a mistake the user has to fix first: systemd
    /// must leave the unit `failed` (with the reason in the journal) instead of restarting it.
    pub const fn restart_helps(self) -> bool {
        match self {
            Exit::Success | Exit::Unavailable | Exit::BadInput | Exit::Config | Exit::StateDir => {
                false
            }
            Exit::Failed => true,
        }
    }

    /// One line for the man page.
    pub const fn meaning(self) -> &'static str {
        match self {
            Exit::Success => "success; for the daemon: stopped by SIGTERM or SIGINT.",
            Exit::Unavailable => {
                "status, watch: the daemon cannot be reached (no session bus, or it could not be \
                 started); daemon: another mynawatch daemon already owns the bus name."
            }
            Exit::BadInput => {
                "a bad command line, or bad input (check, read: a bad file, no card, …)."
            }
            Exit::Config => {
                "the configuration file cannot be read or is invalid (the message names the line)."
            }
            Exit::StateDir => {
                "daemon: the state directory cannot be found, created or read (e.g. a read-only \
                 file system)."
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
        // clap exits 2 on a usage error: the same meaning as ours.
        assert_eq!(Exit::BadInput.code(), 2);
    }
}
