//! The protected endpoints of an OpenAPI document (3.x, or Swagger 2.0): every operation whose
//! security requires a bearer token, its path parameters filled in from values given by the
//! user, the document's examples or defaults. GET and HEAD are audited by default; other
//! methods change data and are audited only when allowed explicitly. What cannot be audited is
//! listed with the reason, never dropped silently.

use super::endpoint::Endpoint;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What the reader is told besides the document.
#[derive(Debug, Clone, Default)]
pub struct OpenApiOptions {
    /// Methods audited besides GET and HEAD (upper case).
    pub allow_methods: Vec<String>,
    /// Values of path (and required query) parameters, by name; they win over examples.
    pub parameters: BTreeMap<String, String>,
}

/// An operation that is not audited, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// `METHOD /path/{template}`.
    pub operation: String,
    pub reason: String,
}

/// The document's protected endpoints and the operations left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Operations {
    pub endpoints: Vec<Endpoint>,
    pub skipped: Vec<Skipped>,
}

/// Why a document cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenApiError {
    #[error("not an OpenAPI document: {0}")]
    NotOpenApi(String),
}

const METHODS: [&str; 8] = [
    "get", "head", "post", "put", "patch", "delete", "options", "trace",
];

/// Reads the protected operations of `doc`.
pub fn protected_operations(
    doc: &Value,
    options: &OpenApiOptions,
) -> Result<Operations, OpenApiError> {
    let root = doc
        .as_object()
        .ok_or_else(|| OpenApiError::NotOpenApi("the document is not a JSON object".into()))?;
    if !root.contains_key("openapi") && !root.contains_key("swagger") {
        return Err(OpenApiError::NotOpenApi(
            "no `openapi` (or `swagger`) member".into(),
        ));
    }
    let paths = root
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| OpenApiError::NotOpenApi("no `paths` object".into()))?;
    let schemes = bearer_schemes(root);
    let prefix = base_path(root);
    let mut out = Operations::default();
    for (template, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for method in METHODS {
            let Some(op) = item.get(method).and_then(Value::as_object) else {
                continue;
            };
            let method = method.to_ascii_uppercase();
            let name = format!("{method} {template}");
            let skip = |reason: String| Skipped {
                operation: name.clone(),
                reason,
            };
            if let Err(reason) = requires_bearer(op, root, &schemes) {
                out.skipped.push(skip(reason));
                continue;
            }
            let mut endpoint = Endpoint::new(&method, "/");
            if endpoint.is_unsafe() && !options.allow_methods.contains(&method) {
                out.skipped.push(skip(format!(
                    "{method} may change data on the server: allow it explicitly to audit it"
                )));
                continue;
            }
            match fill_parameters(template, item, op, options) {
                Ok(path) => endpoint.path = format!("{prefix}{path}"),
                Err(reason) => {
                    out.skipped.push(skip(reason));
                    continue;
                }
            }
            endpoint.status = success_status(op);
            if endpoint.is_unsafe() {
                if let Some((content_type, body)) = request_body(op) {
                    endpoint.content_type = Some(content_type);
                    endpoint.body = Some(body);
                }
            }
            out.endpoints.push(endpoint);
        }
    }
    Ok(out)
}

/// The names of the security schemes that carry a bearer token.
fn bearer_schemes(root: &Map<String, Value>) -> Vec<String> {
    let v3 = root
        .get("components")
        .and_then(|c| c.get("securitySchemes"))
        .and_then(Value::as_object);
    let v2 = root.get("securityDefinitions").and_then(Value::as_object);
    v3.into_iter()
        .chain(v2)
        .flatten()
        .filter(|(_, s)| {
            let field = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or_default();
            match field("type") {
                "http" => field("scheme").eq_ignore_ascii_case("bearer"),
                "oauth2" | "openIdConnect" => true,
                "apiKey" => {
                    field("in") == "header" && field("name").eq_ignore_ascii_case("authorization")
                }
                _ => false,
            }
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// `Ok` when every alternative of the operation's security (or the document's) names a bearer
/// scheme; otherwise why not.
fn requires_bearer(
    op: &Map<String, Value>,
    root: &Map<String, Value>,
    schemes: &[String],
) -> Result<(), String> {
    let Some(requirements) = op
        .get("security")
        .or_else(|| root.get("security"))
        .and_then(Value::as_array)
    else {
        return Err("no security requirement: not a protected operation".into());
    };
    if requirements.is_empty() {
        return Err("security is switched off for this operation (`security: []`)".into());
    }
    for requirement in requirements {
        let Some(names) = requirement.as_object() else {
            return Err("a security requirement is not an object".into());
        };
        if names.is_empty() {
            return Err("security is optional here (an empty requirement `{}`)".into());
        }
        if !names.keys().any(|n| schemes.contains(n)) {
            let listed: Vec<&str> = names.keys().map(String::as_str).collect();
            return Err(format!(
                "its security ({}) takes no bearer token",
                listed.join(", ")
            ));
        }
    }
    Ok(())
}

/// The servers' path prefix (`servers[0].url`'s path, or Swagger 2.0's `basePath`).
fn base_path(root: &Map<String, Value>) -> String {
    let url = root
        .get("servers")
        .and_then(|s| s.get(0))
        .and_then(|s| s.get("url"))
        .and_then(Value::as_str)
        .or_else(|| root.get("basePath").and_then(Value::as_str))
        .unwrap_or_default();
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => url,
    };
    path.trim_end_matches('/').to_owned()
}

/// The template with its path parameters filled in, plus required query parameters.
fn fill_parameters(
    template: &str,
    item: &Map<String, Value>,
    op: &Map<String, Value>,
    options: &OpenApiOptions,
) -> Result<String, String> {
    let declared: Vec<&Map<String, Value>> = item
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .chain(op.get("parameters").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_object)
        .collect();
    let find = |name: &str, location: &str| {
        declared
            .iter()
            .rev()
            .find(|p| {
                p.get("name").and_then(Value::as_str) == Some(name)
                    && p.get("in").and_then(Value::as_str) == Some(location)
            })
            .copied()
    };
    let value_of = |name: &str, location: &str| -> Result<String, String> {
        options
            .parameters
            .get(name)
            .cloned()
            .or_else(|| find(name, location).and_then(example))
            .ok_or_else(|| {
                format!(
                    "no value for {location} parameter `{name}` (no example or default in the \
                     document): give one as a path parameter value"
                )
            })
    };
    let mut path = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| format!("unbalanced `{{` in the path template {template}"))?;
        path.push_str(&rest[..open]);
        path.push_str(&encode(&value_of(&rest[open + 1..close], "path")?));
        rest = &rest[close + 1..];
    }
    path.push_str(rest);
    let mut query = Vec::new();
    for p in &declared {
        let required = p.get("required").and_then(Value::as_bool) == Some(true);
        let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
        if required && p.get("in").and_then(Value::as_str) == Some("query") {
            query.push(format!(
                "{}={}",
                encode(name),
                encode(&value_of(name, "query")?)
            ));
        }
    }
    if !query.is_empty() {
        path = format!("{path}?{}", query.join("&"));
    }
    Ok(path)
}

/// A parameter's example or default, as text.
fn example(parameter: &Map<String, Value>) -> Option<String> {
    let schema = parameter.get("schema");
    parameter
        .get("example")
        .or_else(|| {
            parameter
                .get("examples")
                .and_then(Value::as_object)
                .and_then(|e| e.values().find_map(|x| x.get("value")))
        })
        .or_else(|| schema.and_then(|s| s.get("example")))
        .or_else(|| {
            schema
                .and_then(|s| s.get("examples"))
                .and_then(|e| e.get(0))
        })
        .or_else(|| schema.and_then(|s| s.get("default")))
        .or_else(|| parameter.get("default"))
        .and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
}

/// The lowest 2xx status the operation documents.
fn success_status(op: &Map<String, Value>) -> Option<u16> {
    op.get("responses")?
        .as_object()?
        .keys()
        .filter_map(|k| k.parse::<u16>().ok())
        .filter(|s| (200..300).contains(s))
        .min()
}

/// A JSON request body: the documented example, or `{}`.
fn request_body(op: &Map<String, Value>) -> Option<(String, String)> {
    let json = op
        .get("requestBody")?
        .get("content")?
        .get("application/json")?;
    let body = json
        .get("example")
        .or_else(|| json.get("schema").and_then(|s| s.get("example")))
        .map_or_else(|| "{}".to_owned(), Value::to_string);
    Some(("application/json".into(), body))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "openapi": "3.1.0",
            "components": {"securitySchemes": {
                "HTTPBearer": {"type": "http", "scheme": "bearer"},
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
            }},
            "paths": {
                "/healthz": {"get": {"responses": {"200": {}}}},
                "/api/me": {"get": {"security": [{"HTTPBearer": []}], "responses": {"200": {}}}},
                "/api/projects/{project_id}": {"get": {
                    "security": [{"HTTPBearer": []}],
                    "parameters": [{"name": "project_id", "in": "path", "required": true,
                                    "schema": {"type": "integer", "examples": [42]}}],
                    "responses": {"200": {}, "422": {}}
                }},
                "/api/files/{name}": {"get": {
                    "security": [{"HTTPBearer": []}],
                    "parameters": [{"name": "name", "in": "path", "required": true}],
                    "responses": {"200": {}}
                }},
                "/api/projects": {"post": {
                    "security": [{"HTTPBearer": []}],
                    "requestBody": {"content": {"application/json": {"schema": {}}}},
                    "responses": {"201": {}}
                }},
                "/api/search": {"get": {
                    "security": [{"HTTPBearer": []}],
                    "parameters": [{"name": "q", "in": "query", "required": true,
                                    "schema": {"default": "a b"}}],
                    "responses": {"200": {}}
                }},
                "/api/public": {"get": {"security": [{"HTTPBearer": []}, {}]}},
                "/api/key": {"get": {"security": [{"ApiKey": []}]}}
            }
        })
    }

    #[test]
    fn finds_bearer_operations_and_says_why_others_are_left_out() {
        let ops = protected_operations(&doc(), &OpenApiOptions::default()).unwrap();
        let shown: Vec<String> = ops.endpoints.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            shown,
            [
                "GET /api/me",
                "GET /api/projects/42",
                "GET /api/search?q=a%20b"
            ]
        );
        let skipped: BTreeMap<&str, &str> = ops
            .skipped
            .iter()
            .map(|s| (s.operation.as_str(), s.reason.as_str()))
            .collect();
        assert!(skipped["GET /healthz"].contains("no security"));
        assert!(skipped["GET /api/files/{name}"].contains("`name`"));
        assert!(skipped["POST /api/projects"].contains("allow it explicitly"));
        assert!(skipped["GET /api/public"].contains("optional"));
        assert!(skipped["GET /api/key"].contains("no bearer"));
    }

    #[test]
    fn given_values_and_allowed_methods_fill_the_gaps() {
        let options = OpenApiOptions {
            allow_methods: vec!["POST".into()],
            parameters: [("name".to_owned(), "a/b.txt".to_owned())].into(),
        };
        let ops = protected_operations(&doc(), &options).unwrap();
        let files = ops
            .endpoints
            .iter()
            .find(|e| e.path.starts_with("/api/files"))
            .unwrap();
        assert_eq!(files.path, "/api/files/a%2Fb.txt");
        let post = ops.endpoints.iter().find(|e| e.method == "POST").unwrap();
        assert_eq!(
            (
                post.status,
                post.body.as_deref(),
                post.content_type.as_deref()
            ),
            (Some(201), Some("{}"), Some("application/json"))
        );
    }

    #[test]
    fn server_prefixes_swagger_and_refusals() {
        let mut d = doc();
        d["servers"] = json!([{"url": "https://api.example.com/v1/"}]);
        let ops = protected_operations(&d, &OpenApiOptions::default()).unwrap();
        assert_eq!(ops.endpoints[0].path, "/v1/api/me");
        let swagger = json!({
            "swagger": "2.0", "basePath": "/v2",
            "securityDefinitions": {"jwt": {"type": "apiKey", "in": "header", "name": "Authorization"}},
            "security": [{"jwt": []}],
            "paths": {"/me": {"get": {"responses": {"200": {}}}}}
        });
        let ops = protected_operations(&swagger, &OpenApiOptions::default()).unwrap();
        assert_eq!(ops.endpoints[0].to_string(), "GET /v2/me");
        assert!(protected_operations(&json!([1]), &OpenApiOptions::default()).is_err());
        assert!(protected_operations(&json!({"paths": {}}), &OpenApiOptions::default()).is_err());
    }
}
