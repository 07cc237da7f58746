//! The cycler export formats asslb knows without a column mapping: which columns hold the
//! cycle, voltage, current, time, capacity and step type, in which units, and how a step's
//! type gives the direction of a row. The column names are those of the testers' own exports
//! as far as they are public (the Battery Data Format's preferred labels from its README,
//! <https://github.com/battery-data-alliance/battery-data-format>); they are written here from
//! those names, not copied from another reader.

use super::curves::Direction;

/// A known export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Neware BTS exports (CSV or xlsx): `Cycle Index`, `Step Type`, `Capacity(mAh)`, …
    Neware,
    /// Arbin MITS exports (CSV or xlsx): `Cycle_Index`, `Charge_Capacity(Ah)`, …
    Arbin,
    /// Maccor text exports (tab separated): `Cyc#`, `State`, `Amp-hr`, `Volts`, …
    Maccor,
    /// BioLogic EC-Lab text exports (`.mpt`): `cycle number`, `ox/red`, `Ewe/V`, …
    EcLab,
    /// The Battery Data Format (BDF) CSV of the Battery Data Alliance: `Test Time / s`, …
    Bdf,
}

/// Every known format, in the order detection tries them.
pub const FORMATS: [Format; 5] = [
    Format::Neware,
    Format::Arbin,
    Format::Maccor,
    Format::EcLab,
    Format::Bdf,
];

/// How the step column of a format gives a row's direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// A step type as text (`CC_Chg`, `CC_DChg`, `Rest`, Maccor's `C`/`D`/`R`, …).
    Text,
    /// EC-Lab's `ox/red`: 1 oxidation (charge), 0 reduction (discharge); rows without current
    /// are rests.
    OxRed,
}

/// A column and the factor to SI units (A, A·h) of its values.
type Scaled = (&'static str, f64);

/// The column names of a format, each list in order of preference.
#[derive(Debug)]
pub struct Spec {
    cycle: &'static [&'static str],
    voltage: &'static [&'static str],
    current: &'static [Scaled],
    time: &'static [&'static str],
    capacity: &'static [Scaled],
    charge: &'static [Scaled],
    discharge: &'static [Scaled],
    step: &'static [&'static str],
    step_kind: StepKind,
    /// Whether the step column must be there (else the current's sign may do).
    step_required: bool,
}

const MAH: f64 = 1e-3;

const NEWARE: Spec = Spec {
    cycle: &["Cycle Index", "Cycle ID", "循环号", "循环序号"],
    voltage: &["Voltage(V)", "电压(V)"],
    current: &[
        ("Current(mA)", MAH),
        ("Current(A)", 1.0),
        ("电流(mA)", MAH),
        ("电流(A)", 1.0),
    ],
    time: &[
        "Total Time",
        "总时间",
        "Realtime",
        "Date",
        "绝对时间",
        "Time",
    ],
    capacity: &[
        ("Capacity(mAh)", MAH),
        ("Capacity(Ah)", 1.0),
        ("容量(mAh)", MAH),
        ("容量(Ah)", 1.0),
    ],
    charge: &[
        ("Chg. Cap.(mAh)", MAH),
        ("Chg. Cap.(Ah)", 1.0),
        ("充电容量(mAh)", MAH),
    ],
    discharge: &[
        ("DChg. Cap.(mAh)", MAH),
        ("DChg. Cap.(Ah)", 1.0),
        ("放电容量(mAh)", MAH),
    ],
    step: &["Step Type", "工步类型"],
    step_kind: StepKind::Text,
    step_required: true,
};

const ARBIN: Spec = Spec {
    cycle: &["Cycle_Index"],
    voltage: &["Voltage(V)", "Voltage (V)"],
    current: &[("Current(A)", 1.0), ("Current (A)", 1.0)],
    time: &["Test_Time(s)", "Test Time (s)", "Date_Time"],
    capacity: &[],
    charge: &[("Charge_Capacity(Ah)", 1.0), ("Charge Capacity (Ah)", 1.0)],
    discharge: &[
        ("Discharge_Capacity(Ah)", 1.0),
        ("Discharge Capacity (Ah)", 1.0),
    ],
    step: &[],
    step_kind: StepKind::Text,
    step_required: false,
};

const MACCOR: Spec = Spec {
    cycle: &["Cyc#", "Cycle C"],
    voltage: &["Volts", "Voltage"],
    current: &[("Amps", 1.0), ("Current", 1.0)],
    time: &["TestTime", "Test Time", "Test Time (sec)", "DPt Time"],
    capacity: &[("Amp-hr", 1.0), ("Capacity", 1.0)],
    charge: &[],
    discharge: &[],
    step: &["State", "MD"],
    step_kind: StepKind::Text,
    step_required: true,
};

const ECLAB: Spec = Spec {
    cycle: &["cycle number"],
    voltage: &["Ewe/V", "Ecell/V", "<Ewe>/V"],
    current: &[("I/mA", MAH), ("<I>/mA", MAH)],
    time: &["time/s"],
    capacity: &[("Q charge/discharge/mA.h", MAH)],
    charge: &[("Q charge/mA.h", MAH)],
    discharge: &[("Q discharge/mA.h", MAH)],
    step: &["ox/red"],
    step_kind: StepKind::OxRed,
    step_required: false,
};

const BDF: Spec = Spec {
    cycle: &["Cycle Count / 1", "cycle_count"],
    voltage: &["Voltage / V", "voltage_volt"],
    current: &[("Current / A", 1.0), ("current_ampere", 1.0)],
    time: &["Test Time / s", "test_time_second"],
    capacity: &[],
    charge: &[
        ("Charging Capacity / Ah", 1.0),
        ("Charge Capacity / Ah", 1.0),
        ("charging_capacity_ah", 1.0),
        ("Cycle Charging Capacity / Ah", 1.0),
        ("Step Charging Capacity / Ah", 1.0),
    ],
    discharge: &[
        ("Discharging Capacity / Ah", 1.0),
        ("Discharge Capacity / Ah", 1.0),
        ("discharging_capacity_ah", 1.0),
        ("Cycle Discharging Capacity / Ah", 1.0),
        ("Step Discharging Capacity / Ah", 1.0),
    ],
    step: &["Step Type", "step_type"],
    step_kind: StepKind::Text,
    step_required: false,
};

impl Format {
    /// The name given to `--format` and written in the provenance.
    pub fn name(self) -> &'static str {
        match self {
            Format::Neware => "neware",
            Format::Arbin => "arbin",
            Format::Maccor => "maccor",
            Format::EcLab => "eclab",
            Format::Bdf => "bdf",
        }
    }

    /// The name for people.
    pub fn label(self) -> &'static str {
        match self {
            Format::Neware => "Neware",
            Format::Arbin => "Arbin",
            Format::Maccor => "Maccor",
            Format::EcLab => "BioLogic EC-Lab",
            Format::Bdf => "Battery Data Format (BDF)",
        }
    }

    /// The format called `name` (case-insensitive; `biologic`, `ec-lab` and `mpt` for EC-Lab).
    pub fn from_name(name: &str) -> Option<Format> {
        match name.trim().to_ascii_lowercase().as_str() {
            "neware" => Some(Format::Neware),
            "arbin" => Some(Format::Arbin),
            "maccor" => Some(Format::Maccor),
            "eclab" | "ec-lab" | "biologic" | "mpt" => Some(Format::EcLab),
            "bdf" => Some(Format::Bdf),
            _ => None,
        }
    }

    /// The names `--format` takes, for messages.
    pub fn names() -> String {
        FORMATS.map(Format::name).join(", ")
    }

    /// The column names of the format.
    pub fn spec(self) -> &'static Spec {
        match self {
            Format::Neware => &NEWARE,
            Format::Arbin => &ARBIN,
            Format::Maccor => &MACCOR,
            Format::EcLab => &ECLAB,
            Format::Bdf => &BDF,
        }
    }

    /// What a header row of the format holds, for messages: the first name of each required
    /// column.
    pub fn expected_columns(self) -> String {
        let s = self.spec();
        let mut names = vec![s.cycle[0], s.voltage[0]];
        match (s.capacity.first(), s.charge.first(), s.discharge.first()) {
            (Some(c), _, _) => names.push(c.0),
            (None, Some(c), Some(d)) => names.extend([c.0, d.0]),
            _ => {}
        }
        if s.step_required {
            names.push(s.step[0]);
        } else if let Some(c) = s.current.first() {
            names.push(c.0);
        }
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Where the capacity is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CapacityColumns {
    /// One column of the magnitude passed since the start of the step (index, factor to A·h).
    Single(usize, f64),
    /// A charge and a discharge column, each counting up (index, factor to A·h).
    Split((usize, f64), (usize, f64)),
}

/// The columns of one export, resolved against its header row.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The format.
    pub format: Format,
    /// The cycle number.
    pub cycle: usize,
    /// The voltage \[V\].
    pub voltage: usize,
    /// The current, with its factor to A.
    pub current: Option<(usize, f64)>,
    /// The test time.
    pub time: Option<usize>,
    /// The capacity.
    pub capacity: CapacityColumns,
    /// The step type (or state, or ox/red).
    pub step: Option<usize>,
}

/// Whether the header field `have` is the column name `want` (blanks around and ASCII case
/// ignored).
fn same_name(have: &str, want: &str) -> bool {
    have.trim().eq_ignore_ascii_case(want)
}

fn find(header: &[String], names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| header.iter().position(|h| same_name(h, n)))
}

fn find_scaled(header: &[String], names: &[Scaled]) -> Option<(usize, f64)> {
    names
        .iter()
        .find_map(|(n, f)| header.iter().position(|h| same_name(h, n)).map(|k| (k, *f)))
}

impl Format {
    /// The columns of `header` for this format; `None` when a required one is missing.
    pub fn resolve(self, header: &[String]) -> Option<Layout> {
        let s = self.spec();
        let cycle = find(header, s.cycle)?;
        let voltage = find(header, s.voltage)?;
        let current = find_scaled(header, s.current);
        let step = find(header, s.step);
        let split = find_scaled(header, s.charge).zip(find_scaled(header, s.discharge));
        let capacity = match (split, find_scaled(header, s.capacity)) {
            (Some((c, d)), _) => CapacityColumns::Split(c, d),
            (None, Some((k, f))) => CapacityColumns::Single(k, f),
            (None, None) => return None,
        };
        if (s.step_required && step.is_none()) || (step.is_none() && current.is_none()) {
            return None;
        }
        Some(Layout {
            format: self,
            cycle,
            voltage,
            current,
            time: find(header, s.time),
            capacity,
            step,
        })
    }

    /// How the step column gives a direction.
    pub fn step_kind(self) -> StepKind {
        self.spec().step_kind
    }
}

/// What a step type says about a row's direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepClass {
    /// A charge or a discharge.
    Moving(Direction),
    /// A rest (or a pause, an OCV step).
    Rest,
    /// A type the importer does not know; the current's sign decides.
    Unknown,
}

/// Classifies a step type as written by a tester: containing `dch`, `dis` or `放电` a
/// discharge; else containing `chg`, `charge` or `充电` a charge; Maccor's `C`/`D`; `rest`,
/// `pause`, `ocv`, Maccor's `R`/`O`/`S`, `搁置` or `静置` a rest.
pub fn classify_step(text: &str) -> StepClass {
    let t = text.trim().to_lowercase();
    if t.contains("dch") || t.contains("dis") || t.contains("放电") || t == "d" {
        StepClass::Moving(Direction::Discharge)
    } else if t.contains("chg") || t.contains("charge") || t.contains("充电") || t == "c" {
        StepClass::Moving(Direction::Charge)
    } else if ["rest", "pause", "ocv", "r", "o", "s"].contains(&t.as_str())
        || t.contains("rest")
        || t.contains("搁置")
        || t.contains("静置")
    {
        StepClass::Rest
    } else {
        StepClass::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn step_types() {
        use Direction::{Charge, Discharge};
        for (t, c) in [
            ("CC_Chg", StepClass::Moving(Charge)),
            ("CCCV_Chg", StepClass::Moving(Charge)),
            ("CC_DChg", StepClass::Moving(Discharge)),
            ("CC_DCH", StepClass::Moving(Discharge)),
            ("恒流放电", StepClass::Moving(Discharge)),
            ("恒流充电", StepClass::Moving(Charge)),
            ("C", StepClass::Moving(Charge)),
            ("D", StepClass::Moving(Discharge)),
            ("Rest", StepClass::Rest),
            ("R", StepClass::Rest),
            ("搁置", StepClass::Rest),
            ("Cycle", StepClass::Unknown),
        ] {
            assert_eq!(classify_step(t), c, "{t}");
        }
    }

    #[test]
    fn resolves_columns_of_each_format() {
        let neware = header(&[
            "Cycle Index",
            "Step Type",
            "Voltage(V)",
            "Current(mA)",
            "Capacity(mAh)",
        ]);
        let l = Format::Neware.resolve(&neware).unwrap();
        assert_eq!(l.capacity, CapacityColumns::Single(4, 1e-3));
        assert_eq!(l.current, Some((3, 1e-3)));
        assert!(Format::Arbin.resolve(&neware).is_none());
        // Without a step type a Neware file is not recognised.
        assert!(Format::Neware.resolve(&neware[..1]).is_none());
        let bdf = header(&[
            "Test Time / s",
            "Voltage / V",
            "Current / A",
            "Cycle Count / 1",
            "Charging Capacity / Ah",
            "Discharging Capacity / Ah",
        ]);
        let l = Format::Bdf.resolve(&bdf).unwrap();
        assert_eq!(l.capacity, CapacityColumns::Split((4, 1.0), (5, 1.0)));
        assert_eq!(l.time, Some(0));
        for f in FORMATS {
            assert_eq!(Format::from_name(f.name()), Some(f));
            assert!(!f.expected_columns().is_empty());
        }
    }
}
