//! PC/SC edge: the transport to a card in a reader, and the reader monitor thread.

pub mod monitor;
pub mod transport;
