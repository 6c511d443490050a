//! `report.json`: the whole [`RunReport`], pretty-printed. It is the machine-readable record of
//! a run and deserializes back into the same model with serde.

use super::model::RunReport;

/// The report as pretty JSON with a trailing newline.
pub fn to_json(report: &RunReport) -> String {
    // The model is plain data (strings, numbers, options, vectors, string-keyed structs), which
    // serde_json always serializes; a failure here would be a bug in the model, not a run problem.
    let mut text = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| unreachable!("RunReport always serializes to JSON: {e}"));
    text.push('\n');
    text
}

/// Reads a `report.json` back.
pub fn from_json(text: &str) -> Result<RunReport, serde_json::Error> {
    serde_json::from_str(text)
}
