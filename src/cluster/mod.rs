//! Running one study beyond one machine: its cells split into shards (`nebula run --shard I/N`),
//! each run on a node of its own, and the shard folders merged into one run (`nebula merge`).
//! `slurm.rs` writes and submits the Slurm job scripts that do this on a Slurm cluster.

pub mod slurm;
