//! compare chart (being built).
