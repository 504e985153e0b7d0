//! The experiment matrix: cells (function x input x runtime x concurrency) and the seeded,
//! shuffled, interleaved order in which their measurement windows run: every repetition round
//! visits every cell once, each round in its own shuffled order, so drift favours no runtime.

use super::config::Plan;
use crate::runtime::RuntimeKind;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cell {
    /// Position in config order (0-based), as [`Visit::cell`] refers to it.
    pub index: usize,
    /// The suite function called.
    pub function: String,
    /// The input given on stdin.
    pub input: String,
    /// The runtime the calls run on.
    pub runtime: RuntimeKind,
    /// Calls in flight in the cell.
    pub concurrency: u32,
}

impl Cell {
    /// `function/input/runtime/cN`, the `cell` column.
    pub fn id(&self) -> String {
        format!(
            "{}/{}/{}/c{}",
            self.function, self.input, self.runtime, self.concurrency
        )
    }
}

/// One measurement window to run: a cell and its repetition number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Visit {
    /// The cell's [`Cell::index`].
    pub cell: usize,
    /// The repetition round (0-based).
    pub repetition: u32,
}

/// The plan's cells in config order, those of its shard alone when it has one (see
/// [`shard_of`]). A function of one's own with one build runs only on the runtimes it has a
/// build for.
pub fn cells(plan: &Plan) -> Vec<Cell> {
    let all = all_cells(plan);
    let Some(shard) = &plan.shard else {
        return all;
    };
    let groups = groups(&all);
    all.into_iter()
        .filter(|c| shard_of(&groups, c, shard.count) == shard.index)
        .enumerate()
        .map(|(index, c)| Cell { index, ..c })
        .collect()
}

/// The (function, input, concurrency) groups of `cells`, in order of first appearance: the
/// units a shard gets whole, so a study splits into at most as many shards.
pub fn groups(cells: &[Cell]) -> Vec<(String, String, u32)> {
    let mut out: Vec<(String, String, u32)> = Vec::new();
    for c in cells {
        let g = (c.function.clone(), c.input.clone(), c.concurrency);
        if !out.contains(&g) {
            out.push(g);
        }
    }
    out
}

/// The shard (1..=count) that measures `cell`: the cells of one (function, input,
/// concurrency) stay together, so that the runtimes a comparison pairs run on one machine;
/// the groups, in config order, are dealt to the shards in turn.
pub fn shard_of(groups: &[(String, String, u32)], cell: &Cell, count: u32) -> u32 {
    let g = groups
        .iter()
        .position(|g| g.0 == cell.function && g.1 == cell.input && g.2 == cell.concurrency)
        .unwrap_or(0);
    (g as u32 % count.max(1)) + 1
}

/// Every cell of the plan, whatever its shard.
pub fn all_cells(plan: &Plan) -> Vec<Cell> {
    let mut out = Vec::new();
    for (function, inputs) in &plan.functions {
        for input in inputs {
            for &runtime in plan
                .runtimes
                .iter()
                .filter(|rt| plan.suite.has_build(function, rt.build()))
            {
                for &concurrency in &plan.config.concurrency {
                    out.push(Cell {
                        index: out.len(),
                        function: function.clone(),
                        input: input.clone(),
                        runtime,
                        concurrency,
                    });
                }
            }
        }
    }
    out
}

/// The order of all windows: `repetitions` rounds, each a seeded shuffle of every cell.
pub fn schedule(n_cells: usize, repetitions: u32, seed: u64) -> Vec<Visit> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order = Vec::with_capacity(n_cells * repetitions as usize);
    for repetition in 0..repetitions {
        let mut round: Vec<usize> = (0..n_cells).collect();
        round.shuffle(&mut rng);
        order.extend(round.into_iter().map(|cell| Visit { cell, repetition }));
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_reproducible_interleaved_and_complete() {
        let a = schedule(6, 4, 7);
        assert_eq!(a, schedule(6, 4, 7), "same seed, same order");
        assert_ne!(a, schedule(6, 4, 8), "another seed, another order");
        assert_eq!(a.len(), 24);
        for (r, round) in a.chunks(6).enumerate() {
            let mut cells: Vec<usize> = round.iter().map(|v| v.cell).collect();
            assert!(round.iter().all(|v| v.repetition == r as u32));
            cells.sort_unstable();
            assert_eq!(
                cells,
                (0..6).collect::<Vec<_>>(),
                "each round visits every cell once"
            );
        }
        let rounds: Vec<Vec<usize>> = a.chunks(6).map(|c| c.iter().map(|v| v.cell).collect()).collect();
        assert!(
            rounds.windows(2).any(|w| w[0] != w[1]),
            "rounds are shuffled independently"
        );
    }
}
