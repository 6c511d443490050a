//! The zoo's manifests (deploy/zoo/backends/*.toml) against the code, without running the zoo:
//! every flaw class a manifest names is one of authprobe's (findings.md §2), the zoo's own list of
//! classes (deploy/zoo/zoo.py) is exactly that vocabulary, every flawed backend has a proof script
//! and a summary, every compliant one none, and ports and names are unique.

use authprobe::judge::FlawClass;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn zoo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/zoo")
}

fn classes() -> BTreeSet<&'static str> {
    FlawClass::ALL.iter().map(|c| c.name()).collect()
}

#[test]
fn zoo_py_knows_exactly_authprobes_flaw_classes() {
    let source = std::fs::read_to_string(zoo().join("zoo.py")).unwrap();
    let start = source
        .find("FLAW_CLASSES = {")
        .expect("zoo.py lists FLAW_CLASSES");
    let end = start + source[start..].find('}').unwrap();
    let listed: BTreeSet<&str> = source[start..end].split('"').skip(1).step_by(2).collect();
    assert_eq!(listed, classes(), "deploy/zoo/zoo.py FLAW_CLASSES");
}

#[test]
fn every_manifest_is_consistent() {
    let mut names = BTreeSet::new();
    let mut ports = BTreeSet::new();
    let (mut compliant, mut flawed) = (0, 0);
    for entry in std::fs::read_dir(zoo().join("backends")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let m: toml::Value =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = m["name"].as_str().unwrap();
        assert_eq!(
            Some(name),
            path.file_stem().and_then(|s| s.to_str()),
            "{}",
            path.display()
        );
        assert!(names.insert(name.to_owned()), "{name} twice");
        assert!(
            ports.insert(m["port"].as_integer().unwrap()),
            "{name}: port used twice"
        );
        if m["compliant"].as_bool().unwrap() {
            compliant += 1;
            assert!(m.get("flaw").is_none(), "{name}: compliant with a [flaw]");
            continue;
        }
        flawed += 1;
        let flaw = &m["flaw"];
        assert!(
            flaw["summary"].as_str().is_some_and(|s| s.len() > 20),
            "{name}: summary"
        );
        let proof = zoo().join(flaw["proof"].as_str().unwrap());
        assert!(proof.is_file(), "{name}: proof {} missing", proof.display());
        let known = classes();
        for key in ["must_report", "may_report"] {
            for c in flaw[key].as_array().unwrap() {
                let c = c.as_str().unwrap();
                assert!(known.contains(c), "{name}: {key} names unknown class {c:?}");
            }
        }
        assert!(
            !flaw["must_report"].as_array().unwrap().is_empty(),
            "{name}: nothing to find"
        );
    }
    // The floor: at least six compliant backends and eight flawed ones.
    assert!(
        compliant >= 6 && flawed >= 8,
        "{compliant} compliant, {flawed} flawed"
    );
}
