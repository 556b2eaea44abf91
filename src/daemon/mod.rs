//! The daemon: reader events → card read → rule core → publish on D-Bus, notify, remember; plus the
//! reminder scheduler that re-evaluates remembered cards when the Japan date changes.

pub mod reminders;
pub mod scheduler;
