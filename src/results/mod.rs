//! The records of a run, at the bottom of the crate: the per-call and per-window rows, the
//! summary and comparison rows, the run's metadata (machine, energy source, baselines, module
//! provenance, status), the run folder's files on disk and a whole run read back. The
//! orchestrator and the server write through it; charts, report, export and compare read
//! through it. It imports only the leaves below it (units, the energy sources' types, the suite
//! manifest, digests), never a module that runs or draws anything.

pub mod build;
pub mod call;
pub mod cells;
pub mod comparison;
pub mod files;
pub mod inputs;
pub mod metadata;
pub mod run;
pub mod summary;
pub mod window;

pub use call::{CallContext, CallRow, EnergyLabel, RuntimeName};
pub use comparison::ComparisonRow;
pub use files::{read_calls, write_calls, write_csv};
pub use inputs::InputKind;
pub use metadata::{Metadata, Status, Timestamp};
pub use run::RunData;
pub use summary::SummaryRow;
pub use window::WindowRow;
