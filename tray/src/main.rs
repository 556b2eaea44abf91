//! `mynawatch-tray`: a StatusNotifierItem for the mynawatch daemon (work in progress).

fn main() {}
