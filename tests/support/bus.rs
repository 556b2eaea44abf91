//! Private session buses and a notification server for tests (lead).
