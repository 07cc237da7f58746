"""Parameter names shared with PyBaMM: the table, and converters both ways.

Only parameters that mean the same quantity in the same unit in both tools are in the table
(docs/python.md lists it). Transport efficiencies are Bruggeman exponents in both, written
``{"bruggeman": b}`` here and as the bare number ``b`` in PyBaMM. The electrode area is
``area_m2`` here and ``Electrode width [m]`` x ``Electrode height [m]`` in PyBaMM:
:func:`to_pybamm` writes it as a width with a height of 1 m, :func:`from_pybamm` multiplies
them. Everything else (MSMR galleries, degradation laws, functions of concentration) has no
counterpart and is left out; PyBaMM's functions of concentration are not converted.
"""

__all__ = ["PYBAMM_NAMES", "from_pybamm", "to_pybamm"]

#: asslb parameter key -> PyBaMM parameter name, for the quantities both tools share in the
#: same unit.
PYBAMM_NAMES = {
    "cell.temperature_K": "Ambient temperature [K]",
    "cell.nominal_capacity_Ah": "Nominal cell capacity [A.h]",
    "cell.lower_cutoff_V": "Lower voltage cut-off [V]",
    "cell.upper_cutoff_V": "Upper voltage cut-off [V]",
    "positive.thickness_m": "Positive electrode thickness [m]",
    "positive.active_material_volume_fraction": "Positive electrode active material volume fraction",
    "positive.electrolyte_volume_fraction": "Positive electrode porosity",
    "positive.electrolyte_transport": "Positive electrode Bruggeman coefficient (electrolyte)",
    "positive.electronic_transport": "Positive electrode Bruggeman coefficient (electrode)",
    "positive.electronic_conductivity_S_m": "Positive electrode conductivity [S.m-1]",
    "positive.particle_radius_m": "Positive particle radius [m]",
    "positive.solid_diffusivity_m2_s": "Positive particle diffusivity [m2.s-1]",
    "positive.max_concentration_mol_m3": "Maximum concentration in positive electrode [mol.m-3]",
    "positive.initial_concentration_mol_m3": "Initial concentration in positive electrode [mol.m-3]",
    "positive.double_layer_capacitance_F_m2": "Positive electrode double-layer capacity [F.m-2]",
    "separator.thickness_m": "Separator thickness [m]",
    "separator.electrolyte_volume_fraction": "Separator porosity",
    "separator.electrolyte_transport": "Separator Bruggeman coefficient (electrolyte)",
    "electrolyte.initial_concentration_mol_m3": "Initial concentration in electrolyte [mol.m-3]",
    "electrolyte.cation_transference_number": "Cation transference number",
    "electrolyte.conductivity_S_m": "Electrolyte conductivity [S.m-1]",
    "electrolyte.diffusivity_m2_s": "Electrolyte diffusivity [m2.s-1]",
    "electrolyte.thermodynamic_factor": "Thermodynamic factor",
    "negative.exchange_current_density_A_m2": "Exchange-current density for lithium metal electrode [A.m-2]",
}

_AREA = "cell.area_m2"
_WIDTH = "Electrode width [m]"
_HEIGHT = "Electrode height [m]"
_BRUGGEMAN = {k for k in PYBAMM_NAMES if k.endswith("_transport")}


def _number(value):
    """``value`` as a float if it is a plain number, else ``None`` (a table, a function)."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def to_pybamm(parameter_values):
    """The values of ``parameter_values`` (an :class:`asslb.ParameterValues` or a dict in its
    keys) that PyBaMM shares, as ``{PyBaMM name: value}``, ready for
    ``pybamm.ParameterValues.update``. Values that are tables or functions here (a CSV table,
    a polynomial, a tortuosity factor) are left out."""
    out = {}
    for key, name in PYBAMM_NAMES.items():
        if key not in parameter_values:
            continue
        value = parameter_values[key]
        if key in _BRUGGEMAN:
            value = value.get("bruggeman") if isinstance(value, dict) else None
        value = _number(value)
        if value is not None:
            out[name] = value
    if _AREA in parameter_values:
        area = _number(parameter_values[_AREA])
        if area is not None:
            out[_WIDTH] = area
            out[_HEIGHT] = 1.0
    return out


def from_pybamm(values):
    """The values of a PyBaMM parameter dict (or ``pybamm.ParameterValues``) that asslb
    shares, as ``{asslb key: value}``, ready for :meth:`asslb.ParameterValues.update`.
    Functions and other non-numbers are left out."""
    names = {name: key for key, name in PYBAMM_NAMES.items()}
    out = {}
    for name, key in names.items():
        if name not in values:
            continue
        value = _number(values[name])
        if value is None:
            continue
        out[key] = {"bruggeman": value} if key in _BRUGGEMAN else value
    if _WIDTH in values and _HEIGHT in values:
        width, height = _number(values[_WIDTH]), _number(values[_HEIGHT])
        if width is not None and height is not None:
            out[_AREA] = width * height
    return out
