//! Which protected endpoints `audit` sends its cases to: `--path`, the profile's `[[endpoint]]`
//! entries, and the bearer-protected operations of an OpenAPI document (`--openapi` or the
//! profile's `[openapi]`), read from a file, a URL or a path on the backend.

use super::audit::AuditArgs;
use super::deployment::FetchError;
use super::Failure;
use anyhow::anyhow;
use authprobe::deployment::endpoint::Endpoint;
use authprobe::deployment::http::HttpOptions;
use authprobe::deployment::openapi::{self, OpenApiOptions};
use authprobe::deployment::profile::OpenApiSection;
use authprobe::run::TargetSpec;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Gives every target its protected endpoints; a document that cannot be fetched leaves a
/// note (the audit goes on with the endpoints it has), one that cannot be read is an input error.
pub async fn resolve(
    args: &AuditArgs,
    targets: Vec<(TargetSpec, Option<OpenApiSection>)>,
    http: &HttpOptions,
) -> Result<Vec<TargetSpec>, Failure> {
    let given = args
        .paths
        .iter()
        .map(|p| Endpoint::parse(p).map_err(|e| Failure::Input(anyhow!("--path {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let mut parameters = BTreeMap::new();
    for p in &args.path_params {
        let (name, value) = p
            .split_once('=')
            .ok_or_else(|| Failure::Input(anyhow!("--path-param {p:?}: expected NAME=VALUE")))?;
        parameters.insert(name.to_owned(), value.to_owned());
    }
    let methods: Vec<String> = args
        .openapi_methods
        .iter()
        .map(|m| m.to_ascii_uppercase())
        .collect();
    let mut out = Vec::with_capacity(targets.len());
    for (mut target, from_profile) in targets {
        if !given.is_empty() {
            target.protected.clone_from(&given);
        }
        let section = match (&args.openapi, from_profile) {
            (Some(source), profile) => Some(OpenApiSection {
                source: Some(source.clone()),
                ..profile.unwrap_or_default()
            }),
            (None, profile) => profile,
        };
        if let Some(mut section) = section {
            section.methods.extend(methods.iter().cloned());
            section.parameters.extend(parameters.clone());
            read_operations(&mut target, &section, http).await?;
        }
        out.push(target);
    }
    Ok(out)
}

async fn read_operations(
    target: &mut TargetSpec,
    section: &OpenApiSection,
    http: &HttpOptions,
) -> Result<(), Failure> {
    let Some(source) = section.source.as_deref() else {
        return Ok(());
    };
    let doc = match fetch(source, &target.endpoints.backend, http).await {
        Ok(doc) => doc,
        Err(Fetch::Unreadable(e)) => return Err(Failure::Input(e)),
        Err(Fetch::Unreachable(e)) => {
            target.setup_notes.push(format!(
                "OpenAPI document not read ({e:#}); audited {} only",
                shown(&target.protected)
            ));
            return Ok(());
        }
    };
    let options = OpenApiOptions {
        allow_methods: section.methods.clone(),
        parameters: section.parameters.clone(),
    };
    let ops = openapi::protected_operations(&doc, &options)
        .map_err(|e| Failure::Input(anyhow!("OpenAPI document {source}: {e}")))?;
    for s in &ops.skipped {
        target.setup_notes.push(format!(
            "OpenAPI: {} not audited: {}",
            s.operation, s.reason
        ));
    }
    if ops.endpoints.is_empty() {
        target.setup_notes.push(format!(
            "the OpenAPI document {source} lists no bearer-protected operation to audit; audited {} only",
            shown(&target.protected)
        ));
        return Ok(());
    }
    target.protected.extend(ops.endpoints);
    Ok(())
}

fn shown(protected: &[Endpoint]) -> String {
    if protected.is_empty() {
        return Endpoint::default().to_string();
    }
    protected
        .iter()
        .map(Endpoint::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

enum Fetch {
    /// The document is there but is not JSON (or the file cannot be read).
    Unreadable(anyhow::Error),
    /// The server did not answer it.
    Unreachable(anyhow::Error),
}

/// A URL, a file, or (a `/` path that is no file) a path on the backend.
async fn fetch(source: &str, backend: &str, http: &HttpOptions) -> Result<Value, Fetch> {
    let url = if source.starts_with("http://") || source.starts_with("https://") {
        Some(source.to_owned())
    } else if source.starts_with('/') && !Path::new(source).is_file() {
        Some(format!("{}{source}", backend.trim_end_matches('/')))
    } else {
        None
    };
    let Some(url) = url else {
        let text = std::fs::read(source)
            .map_err(|e| Fetch::Unreadable(anyhow!("reading OpenAPI file {source}: {e}")))?;
        return serde_json::from_slice(&text).map_err(|e| {
            Fetch::Unreadable(anyhow!(
                "{source}:{}:{}: not a JSON OpenAPI document: {e}",
                e.line(),
                e.column()
            ))
        });
    };
    let body = super::deployment::fetch_document(&url, http, "application/json")
        .await
        .map_err(|e| match e {
            FetchError::Client(e) => Fetch::Unreachable(anyhow!("{e}")),
            FetchError::Unreachable(e) => Fetch::Unreachable(anyhow!("{url}: {e}")),
        })?;
    serde_json::from_slice(&body).map_err(|e| {
        Fetch::Unreadable(anyhow!(
            "{url}:{}:{}: not a JSON OpenAPI document: {e}",
            e.line(),
            e.column()
        ))
    })
}
