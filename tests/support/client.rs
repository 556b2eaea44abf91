//! A blocking D-Bus client of the daemon under test, on a runtime of its own (for tests and benches
//! that are not async), and the introspection call the API tests compare with the documentation.

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use mynawatch::dbus::client::{snapshot, Snapshot};

use super::bus::PrivateBus;
use super::daemon::NAME;

/// Generous: pcscd polls vpcd (up to ~0.5 s per change); the machine may be busy.
pub const WAIT: Duration = Duration::from_secs(15);

/// A connection to `bus` driven by its own one-worker runtime, so signal streams keep being read
/// between calls.
pub struct BusClient {
    pub rt: tokio::runtime::Runtime,
    pub conn: zbus::Connection,
}

impl BusClient {
    pub fn connect(bus: &PrivateBus) -> BusClient {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let conn = rt
            .block_on(zbus::connection::Builder::address(bus.address.as_str()).build())
            .expect("connect to the private bus");
        BusClient { rt, conn }
    }

    /// Call `method` on the daemon's object `path`; panics on an error reply.
    pub fn call<B>(&self, path: &str, iface: &str, method: &str, body: &B) -> zbus::Message
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
    {
        self.rt
            .block_on(
                self.conn
                    .call_method(Some(NAME), path, Some(iface), method, body),
            )
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// The signals `member` of `interface`, each with the instant it arrived, from now on.
    pub fn signals(
        &self,
        interface: &'static str,
        member: &'static str,
    ) -> Receiver<(Instant, zbus::Message)> {
        let (tx, rx) = std::sync::mpsc::channel();
        let conn = self.conn.clone();
        self.rt.block_on(async move {
            let rule = zbus::MatchRule::builder()
                .msg_type(zbus::message::Type::Signal)
                .interface(interface)
                .member(member)
                .build()
                .unwrap();
            let mut stream = zbus::MessageStream::for_match_rule(rule, &conn, None)
                .await
                .unwrap();
            tokio::spawn(async move {
                while let Some(Ok(msg)) = stream.next().await {
                    if tx.send((Instant::now(), msg)).is_err() {
                        break;
                    }
                }
            });
        });
        rx
    }

    /// `Manager.Version`, `Manager.Readers` and `GetManagedObjects`, answered within 5 s.
    pub fn snapshot(&self) -> Snapshot {
        self.rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), snapshot(&self.conn))
                .await
                .expect("the daemon did not answer within 5 s")
                .expect("snapshot")
        })
    }

    /// Poll the daemon until `f` says yes (up to [`WAIT`]); panics with the last snapshot.
    pub fn wait_until<T>(&self, what: &str, mut f: impl FnMut(&Snapshot) -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            let s = self.snapshot();
            if let Some(v) = f(&s) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; last: {s:#?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// An async connection to `bus` (for tokio tests).
pub async fn connect(bus: &PrivateBus) -> zbus::Connection {
    zbus::connection::Builder::address(bus.address.as_str())
        .build()
        .await
        .expect("connect to the private bus")
}

/// The introspection XML of `path` at `destination` over `conn`.
pub async fn introspect(conn: &zbus::Connection, destination: &str, path: String) -> String {
    zbus::fdo::IntrospectableProxy::builder(conn)
        .destination(destination.to_string())
        .path(path)
        .build()
        .await
        .unwrap()
        .introspect()
        .await
        .unwrap()
}
