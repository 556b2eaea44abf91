//! Access to the private pcscd + vpcd started by scripts/e2e-env.sh (owned by the card layer).
