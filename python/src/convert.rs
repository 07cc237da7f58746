//! Python values to TOML values (overrides, scenario documents) and back (parameter trees).

use pyo3::prelude::*;

use asslb::scenario::VALUE_TABLE_KEYS;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

/// `value` as TOML: bool, int, float, str, list or tuple, and dict with string keys (numpy
/// scalars and other numbers through `float()`). An error in words for anything else.
pub fn to_toml_value(value: &Bound<'_, PyAny>) -> Result<toml::Value, String> {
    if value.is_instance_of::<PyBool>() {
        return value
            .extract::<bool>()
            .map(toml::Value::Boolean)
            .map_err(|e| e.to_string());
    }
    if value.is_instance_of::<PyInt>() {
        return value
            .extract::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| format!("the integer {value} does not fit in 64 bits"));
    }
    if value.is_instance_of::<PyFloat>() {
        return value
            .extract::<f64>()
            .map(toml::Value::Float)
            .map_err(|e| e.to_string());
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(toml::Value::String(s.to_string()));
    }
    if let Ok(d) = value.cast::<PyDict>() {
        return to_toml_table(d).map(toml::Value::Table);
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for item in value.try_iter().map_err(|e| e.to_string())? {
            items.push(to_toml_value(&item.map_err(|e| e.to_string())?)?);
        }
        return Ok(toml::Value::Array(items));
    }
    // numpy scalars and other numbers.
    if value.hasattr("__float__").unwrap_or(false) {
        if let Ok(x) = value
            .call_method0("__float__")
            .and_then(|f| f.extract::<f64>())
        {
            return Ok(toml::Value::Float(x));
        }
    }
    let type_name = value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_string());
    Err(format!(
        "expected a bool, number, string, list or dict, found a value of type `{type_name}`"
    ))
}

/// `dict` (string keys) as a TOML table.
pub fn to_toml_table(dict: &Bound<'_, PyDict>) -> Result<toml::Table, String> {
    let mut table = toml::Table::new();
    for (key, value) in dict.iter() {
        let key: String = key
            .extract()
            .map_err(|_| format!("expected string keys, found the key {key}"))?;
        let value = to_toml_value(&value).map_err(|e| format!("key `{key}`: {e}"))?;
        table.insert(key, value);
    }
    Ok(table)
}

/// `value` as a Python object: tables as dicts, arrays as lists, dates as strings.
pub fn to_python<'py>(py: Python<'py>, value: &toml::Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        toml::Value::String(s) => s.into_pyobject(py)?.into_any(),
        toml::Value::Integer(i) => i.into_pyobject(py)?.into_any(),
        toml::Value::Float(x) => x.into_pyobject(py)?.into_any(),
        toml::Value::Boolean(b) => b.into_pyobject(py)?.to_owned().into_any(),
        toml::Value::Datetime(d) => d.to_string().into_pyobject(py)?.into_any(),
        toml::Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_python(py, item)?)?;
            }
            list.into_any()
        }
        toml::Value::Table(t) => {
            let dict = PyDict::new(py);
            for (k, v) in t {
                dict.set_item(k, to_python(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// The leaves of `table` into `out` under dotted keys (`positive.thickness_m`), `prefix`
/// before them. A table that is a value of its own (a CSV table `{ table = "…" }`, a
/// polynomial) is a leaf too: only tables of tables are walked into.
pub fn flatten(
    py: Python<'_>,
    prefix: &str,
    table: &toml::Table,
    out: &Bound<'_, PyDict>,
) -> PyResult<()> {
    for (key, value) in table {
        let dotted = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) if is_section(inner) => flatten(py, &dotted, inner, out)?,
            other => out.set_item(dotted, to_python(py, other)?)?,
        }
    }
    Ok(())
}

/// A table of parameters rather than one value written as a table (an inline table holding
/// one of the library's [`VALUE_TABLE_KEYS`]).
fn is_section(table: &toml::Table) -> bool {
    !table.keys().any(|k| VALUE_TABLE_KEYS.contains(&k.as_str()))
}
