//! Physical constants (CODATA 2018 exact values).

/// Faraday constant F = N_A·e \[C/mol\] (CODATA 2018, exact).
pub const FARADAY: f64 = 96_485.332_123_310_0;
/// Molar gas constant R = N_A·k_B \[J/(mol·K)\] (CODATA 2018, exact).
pub const GAS_CONSTANT: f64 = 8.314_462_618_153_24;
/// Offset between degrees Celsius and kelvin \[K\].
pub const ZERO_CELSIUS_K: f64 = 273.15;
/// Seconds per hour \[s/h\].
pub const SECONDS_PER_HOUR: f64 = 3600.0;
