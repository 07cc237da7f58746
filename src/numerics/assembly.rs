//! Jacobian assembly on a fixed sparsity pattern.
//!
//! A model writes its Jacobian as a sequence of `add(row, col, value)` calls whose sequence of
//! (row, col) pairs does not depend on the values (no value-dependent branching: a zero is added
//! as a zero). Running that code once with a [`PatternRecorder`] gives the sparsity pattern and
//! a "tape" of value positions; every later evaluation replays the tape with a [`TapeWriter`],
//! which costs one indexed addition per call, with no search.

use super::dae::SparsityPattern;

/// Receives Jacobian contributions `J[row, col] += value`.
pub trait JacobianSink {
    /// Adds `value` to entry (row, col).
    fn add(&mut self, row: usize, col: usize, value: f64);

    /// The same as `add(entries[k].0, entries[k].1, values[k])` for every k in order
    /// (`entries` yields one pair per value). A
    /// [`TapeWriter`] runs it as one tight loop over the tape and reads `entries` only to
    /// check them in debug builds, so a run of values computed once (a particle's diffusion
    /// block, the same for every particle) costs one indexed addition per value.
    fn add_run(&mut self, entries: impl Iterator<Item = (usize, usize)>, values: &[f64]) {
        for ((row, col), &value) in entries.zip(values) {
            self.add(row, col, value);
        }
    }
}

/// Records the (row, col) sequence of an assembly.
#[derive(Debug, Default)]
pub struct PatternRecorder {
    entries: Vec<(usize, usize)>,
}

impl JacobianSink for PatternRecorder {
    fn add(&mut self, row: usize, col: usize, _value: f64) {
        self.entries.push((row, col));
    }
}

/// The sparsity pattern of an assembly, and the position in the value array of each `add`.
#[derive(Debug, Clone)]
pub struct AssemblyTape {
    /// The pattern (CSC).
    pub pattern: SparsityPattern,
    /// Value position of the k-th `add` call.
    positions: Vec<usize>,
    /// The (row, col) of each `add`, kept to check replays in debug builds.
    entries: Vec<(usize, usize)>,
}

impl AssemblyTape {
    /// Builds the pattern and the tape from a recording.
    pub fn from_recording(n: usize, recorder: PatternRecorder) -> Self {
        let pattern = SparsityPattern::from_entries(n, recorder.entries.iter().copied());
        let positions = recorder
            .entries
            .iter()
            .map(|&(r, c)| {
                pattern.position(r, c).unwrap_or_else(|| {
                    unreachable!("entry ({r}, {c}) was recorded into the pattern")
                })
            })
            .collect();
        AssemblyTape {
            pattern,
            positions,
            entries: recorder.entries,
        }
    }

    /// A writer that replays the tape into `values` (which it zeroes first).
    pub fn writer<'a>(&'a self, values: &'a mut [f64]) -> TapeWriter<'a> {
        values.fill(0.0);
        TapeWriter {
            tape: self,
            values,
            next: 0,
        }
    }
}

/// Replays an [`AssemblyTape`] into a value array.
pub struct TapeWriter<'a> {
    tape: &'a AssemblyTape,
    values: &'a mut [f64],
    next: usize,
}

impl TapeWriter<'_> {
    /// Whether every recorded entry was written exactly once in order.
    pub fn is_complete(&self) -> bool {
        self.next == self.tape.positions.len()
    }
}

impl JacobianSink for TapeWriter<'_> {
    #[inline]
    fn add(&mut self, row: usize, col: usize, value: f64) {
        debug_assert_eq!(
            self.tape.entries.get(self.next),
            Some(&(row, col)),
            "Jacobian assembly diverged from its recorded pattern"
        );
        let _ = (row, col);
        self.values[self.tape.positions[self.next]] += value;
        self.next += 1;
    }

    #[inline]
    fn add_run(&mut self, entries: impl Iterator<Item = (usize, usize)>, values: &[f64]) {
        let end = self.next + values.len();
        if cfg!(debug_assertions) {
            let recorded = self.tape.entries.get(self.next..end);
            let given: Vec<(usize, usize)> = entries.collect();
            assert_eq!(
                recorded,
                Some(given.as_slice()),
                "Jacobian assembly diverged from its recorded pattern"
            );
        }
        for (&position, &value) in self.tape.positions[self.next..end].iter().zip(values) {
            self.values[position] += value;
        }
        self.next = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assemble(s: &mut impl JacobianSink, a: f64) {
        s.add(0, 0, a);
        s.add(1, 0, 2.0 * a);
        s.add(0, 0, 1.0);
        s.add(1, 1, 3.0);
    }

    #[test]
    fn a_run_is_the_same_as_its_adds() {
        let entries = [(0, 0), (1, 0), (0, 0), (1, 1)];
        let mut rec = PatternRecorder::default();
        assemble(&mut rec, 0.0);
        let tape = AssemblyTape::from_recording(2, rec);
        let (mut by_add, mut by_run) = (vec![0.0; 3], vec![0.0; 3]);
        let mut w = tape.writer(&mut by_add);
        assemble(&mut w, 5.0);
        assert!(w.is_complete());
        let mut w = tape.writer(&mut by_run);
        w.add_run(entries[..2].iter().copied(), &[5.0, 10.0]);
        w.add_run(entries[2..].iter().copied(), &[1.0, 3.0]);
        assert!(w.is_complete());
        assert_eq!(by_add, by_run);
        let mut rec = PatternRecorder::default();
        rec.add_run(entries.iter().copied(), &[0.0; 4]);
        assert_eq!(rec.entries, entries);
    }

    #[test]
    fn replay_accumulates_duplicates() {
        let mut rec = PatternRecorder::default();
        assemble(&mut rec, 0.0);
        let tape = AssemblyTape::from_recording(2, rec);
        assert_eq!(tape.pattern.nnz(), 3);
        let mut v = vec![9.0; 3];
        let mut w = tape.writer(&mut v);
        assemble(&mut w, 5.0);
        assert!(w.is_complete());
        assert_eq!(v, vec![6.0, 10.0, 3.0]);
    }
}
