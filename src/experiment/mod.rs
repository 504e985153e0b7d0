//! experiment (being built).
