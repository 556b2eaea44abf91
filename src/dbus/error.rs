//! The one D-Bus error type of the service: every failure a client can see, with a stable name under
//! `io.github.mynawatch.MynaWatch1.Error` and a readable message.

/// Errors returned by the Manager and Card interfaces (and by the typed client proxies).
#[derive(Debug, zbus::DBusError)]
#[zbus(prefix = "io.github.mynawatch.MynaWatch1.Error")]
pub enum Error {
    /// A transport-level failure (bus gone, bad reply, …).
    #[zbus(error)]
    ZBus(zbus::Error),
    /// An argument was malformed (bad date, label too long, control characters, …).
    InvalidArgument(String),
    /// The card object no longer exists (forgotten, or never remembered).
    UnknownCard(String),
    /// The daemon is shutting down and no longer takes requests.
    ShuttingDown(String),
    /// The request was valid but could not be carried out (e.g. the state file could not be saved).
    Failed(String),
}

impl Error {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidArgument(msg.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zbus::DBusError;

    #[test]
    fn names_carry_the_prefix_and_the_message() {
        let e = Error::invalid("bad date");
        assert_eq!(
            e.name().as_str(),
            "io.github.mynawatch.MynaWatch1.Error.InvalidArgument"
        );
        assert_eq!(e.description(), Some("bad date"));
        assert_eq!(
            Error::UnknownCard("x".into()).name().as_str(),
            "io.github.mynawatch.MynaWatch1.Error.UnknownCard"
        );
    }
}
