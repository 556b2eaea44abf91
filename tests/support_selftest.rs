//! Checks the test support itself against the real programs: a private bus and the notification server.

mod support;

use std::time::Duration;

use support::bus::{NotificationServer, PrivateBus, NOTIFICATIONS};

#[test]
fn private_bus_and_notification_server_work() {
    let bus = PrivateBus::start();
    assert!(bus.address.starts_with("unix:path="), "{}", bus.address);
    assert!(!bus.has_name(NOTIFICATIONS));
    let server = NotificationServer::start(&bus, Some("body actions"));
    let status = bus
        .command("notify-send")
        .args(["-a", "mynawatch", "タイトル", "本文"])
        .status()
        .expect("notify-send");
    assert!(status.success());
    let calls = support::wait_for(Duration::from_secs(5), "the Notify call in the log", || {
        let c = server.notify_calls();
        (!c.is_empty()).then_some(c)
    });
    assert_eq!(calls.len(), 1);
    assert!(calls[0].contains("\"タイトル\" \"本文\""), "{}", calls[0]);
}
