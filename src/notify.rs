//! Desktop notifications (work in progress).
