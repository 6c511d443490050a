//! report.json: the golden file, and the JSON reading back into the same run.

use crate::runs::{finding_of, golden, hostile, representative, TARGET};
use authprobe::report::json;
use serde_json::Value;

#[test]
fn json_is_golden_and_round_trips() {
    let report = representative();
    let text = json::to_json(&report);
    golden("report.json", &text);
    assert_eq!(json::from_json(&text).expect("report.json parses"), report);
    let hostile = hostile();
    assert_eq!(
        json::from_json(&json::to_json(&hostile)).expect("parses"),
        hostile
    );
    // The grading survives the round trip as data, not only as equality of the whole.
    let v: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        v["gate"],
        serde_json::json!({"fail_on": "high", "new_only": false})
    );
    let first = &v["suites"][0]["cases"][0]["findings"][0];
    assert_eq!(first["severity"], "critical");
    assert_eq!(first["cause"], "unsigned-token-accepted");
    assert_eq!(first["class"], "alg-none");
    assert_eq!(first["confidence"], "high");
    assert_eq!(
        first["fingerprint"],
        finding_of(&report, "AP-ALG-NONE").fingerprint.as_str()
    );
    assert_eq!(v["summary"]["by_grade"]["low"], 2);
    assert_eq!(v["targets"][0]["name"], TARGET);
}
