//! stats (being built).
