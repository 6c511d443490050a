//! The issuer's control plane: what a lifecycle run asks of the auth server besides its public API
//! (rotate the signing key, remove a key from the published set, count key-set fetches, take the
//! key set down or make it slow, appoint an admin). deploy/'s lab server answers these at `/__lab`;
//! a real deployment names shell commands in its profile instead (e.g. an admin script that
//! rotates through Better Auth's adapter, or a count of `/jwks` lines in the proxy's access log).

use super::policy::LifecycleSection;
use crate::deployment::http::{Http, Outgoing, TransportError};
use serde_json::Value;

/// One operation of the control plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlOp {
    Rotate,
    Retire,
    JwksFetches,
    JwksMode,
    MakeAdmin,
}

impl ControlOp {
    pub fn name(self) -> &'static str {
        match self {
            ControlOp::Rotate => "rotate",
            ControlOp::Retire => "retire",
            ControlOp::JwksFetches => "jwks-fetches",
            ControlOp::JwksMode => "jwks-mode",
            ControlOp::MakeAdmin => "make-admin",
        }
    }
}

/// How the key set endpoint answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySetMode {
    Up,
    /// 503 at once.
    Down,
    /// The answer after several seconds.
    Slow,
}

impl KeySetMode {
    pub fn name(self) -> &'static str {
        match self {
            KeySetMode::Up => "up",
            KeySetMode::Down => "down",
            KeySetMode::Slow => "slow",
        }
    }
}

/// A rotation's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    /// The new signing key's `kid`.
    pub kid: String,
    /// The key that signed until now, when the control plane says.
    pub previous: Option<String>,
}

/// Why a control operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    #[error("the profile's [lifecycle] names no way to {0} (control_url or {0}_command)")]
    NotConfigured(&'static str),
    #[error("control plane {op}: {source}")]
    Transport {
        op: &'static str,
        source: TransportError,
    },
    #[error("control plane {op} answered HTTP {status}: {body}")]
    Refused {
        op: &'static str,
        status: u16,
        body: String,
    },
    #[error("{op} command failed: {message}")]
    Command { op: &'static str, message: String },
    #[error("control plane {op}: {message}")]
    Unexpected { op: &'static str, message: String },
}

/// The issuer's control plane as a profile describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssuerControl {
    /// The lab's `/__lab` base URL.
    pub url: Option<String>,
    pub rotate_command: Option<String>,
    pub retire_command: Option<String>,
    pub jwks_fetches_command: Option<String>,
    pub jwks_mode_command: Option<String>,
    pub make_admin_command: Option<String>,
}

impl IssuerControl {
    pub fn from_section(s: &LifecycleSection) -> IssuerControl {
        IssuerControl {
            url: s
                .control_url
                .as_ref()
                .map(|u| u.trim_end_matches('/').to_owned()),
            rotate_command: s.rotate_command.clone(),
            retire_command: s.retire_command.clone(),
            jwks_fetches_command: s.jwks_fetches_command.clone(),
            jwks_mode_command: s.jwks_mode_command.clone(),
            make_admin_command: s.make_admin_command.clone(),
        }
    }

    /// The lab control plane at `url` (deploy/auth-server with `AUTH_LAB_CONTROL=1`).
    pub fn lab(url: impl Into<String>) -> IssuerControl {
        IssuerControl {
            url: Some(url.into().trim_end_matches('/').to_owned()),
            ..Default::default()
        }
    }

    fn command(&self, op: ControlOp) -> Option<&str> {
        match op {
            ControlOp::Rotate => self.rotate_command.as_deref(),
            ControlOp::Retire => self.retire_command.as_deref(),
            ControlOp::JwksFetches => self.jwks_fetches_command.as_deref(),
            ControlOp::JwksMode => self.jwks_mode_command.as_deref(),
            ControlOp::MakeAdmin => self.make_admin_command.as_deref(),
        }
    }

    /// Whether the operation can be asked for at all.
    pub fn can(&self, op: ControlOp) -> bool {
        self.url.is_some() || self.command(op).is_some()
    }

    /// Rotates the signing key.
    pub async fn rotate(&self, http: &Http) -> Result<Rotated, ControlError> {
        let op = ControlOp::Rotate;
        let text = self.call(http, op, "POST", "rotate", &[]).await?;
        let parsed: Option<Value> = serde_json::from_str(text.trim()).ok();
        let (kid, previous) = match parsed {
            Some(Value::Object(o)) => (
                o.get("kid").and_then(Value::as_str).map(str::to_owned),
                o.get("previous").and_then(Value::as_str).map(str::to_owned),
            ),
            _ => (
                text.lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .map(str::to_owned),
                None,
            ),
        };
        let kid = kid.ok_or_else(|| ControlError::Unexpected {
            op: op.name(),
            message: format!("no kid in {:?}", text.chars().take(200).collect::<String>()),
        })?;
        Ok(Rotated { kid, previous })
    }

    /// Removes the key `kid` from the published set.
    pub async fn retire(&self, http: &Http, kid: &str) -> Result<(), ControlError> {
        self.call(http, ControlOp::Retire, "POST", "retire", &[("kid", kid)])
            .await
            .map(drop)
    }

    /// How many times the key set was served so far.
    pub async fn jwks_fetches(&self, http: &Http) -> Result<u64, ControlError> {
        let op = ControlOp::JwksFetches;
        let text = self.call(http, op, "GET", "jwks-fetches", &[]).await?;
        let text = text.trim();
        let count = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(o)) => o.get("count").and_then(Value::as_u64),
            Ok(Value::Number(n)) => n.as_u64(),
            _ => text.parse().ok(),
        };
        count.ok_or_else(|| ControlError::Unexpected {
            op: op.name(),
            message: format!(
                "not a count: {:?}",
                text.chars().take(200).collect::<String>()
            ),
        })
    }

    /// Makes the key set endpoint answer normally, fail or answer slowly.
    pub async fn set_key_set(&self, http: &Http, mode: KeySetMode) -> Result<(), ControlError> {
        self.call(
            http,
            ControlOp::JwksMode,
            "POST",
            "jwks",
            &[("mode", mode.name())],
        )
        .await
        .map(drop)
    }

    /// Gives the user with this e-mail the admin role.
    pub async fn make_admin(&self, http: &Http, email: &str) -> Result<(), ControlError> {
        self.call(
            http,
            ControlOp::MakeAdmin,
            "POST",
            "make-admin",
            &[("email", email)],
        )
        .await
        .map(drop)
    }

    async fn call(
        &self,
        http: &Http,
        op: ControlOp,
        method: &str,
        route: &str,
        params: &[(&str, &str)],
    ) -> Result<String, ControlError> {
        if let Some(command) = self.command(op) {
            return run_command(op, command, params).await;
        }
        let Some(base) = &self.url else {
            return Err(ControlError::NotConfigured(op.name()));
        };
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", url_escape(v)))
            .collect();
        let url = if query.is_empty() {
            format!("{base}/{route}")
        } else {
            format!("{base}/{route}?{}", query.join("&"))
        };
        let response = http
            .send(&Outgoing {
                method: method.into(),
                url,
                headers: Vec::new(),
                body: None,
            })
            .await
            .map_err(|source| ControlError::Transport {
                op: op.name(),
                source,
            })?;
        let body = String::from_utf8_lossy(&response.body).into_owned();
        if !(200..300).contains(&response.status) {
            return Err(ControlError::Refused {
                op: op.name(),
                status: response.status,
                body: body.chars().take(200).collect(),
            });
        }
        Ok(body)
    }
}

/// The longest a profile command may run.
const COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs a profile command with `sh -c`, each `{name}` replaced by its single-quoted value; killed
/// after [`COMMAND_TIMEOUT`].
async fn run_command(
    op: ControlOp,
    command: &str,
    params: &[(&str, &str)],
) -> Result<String, ControlError> {
    let mut line = command.to_owned();
    for (name, value) in params {
        line = line.replace(&format!("{{{name}}}"), &shell_quote(value));
    }
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&line)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(COMMAND_TIMEOUT, child)
        .await
        .map_err(|_| ControlError::Command {
            op: op.name(),
            message: format!(
                "{line:?} did not finish within {} s (killed)",
                COMMAND_TIMEOUT.as_secs()
            ),
        })?
        .map_err(|e| ControlError::Command {
            op: op.name(),
            message: format!("starting sh: {e}"),
        })?;
    if !output.status.success() {
        return Err(ControlError::Command {
            op: op.name(),
            message: format!(
                "{line:?} exited with {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
                    .chars()
                    .take(300)
                    .collect::<String>()
            ),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `'value'` for sh, with embedded quotes closed and escaped.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn url_escape(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
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

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        assert_eq!(url_escape("a b@c.d"), "a%20b%40c.d");
    }

    #[tokio::test]
    async fn commands_run_with_quoted_parameters_and_parse_their_output() {
        let control = IssuerControl {
            rotate_command: Some(r#"printf '{"kid":"k2","previous":"k1"}'"#.into()),
            jwks_fetches_command: Some("echo 42".into()),
            retire_command: Some("test {kid} = \"it's\"".into()),
            ..Default::default()
        };
        let http = Http::new(Default::default()).unwrap();
        let r = control.rotate(&http).await.unwrap();
        assert_eq!(
            r,
            Rotated {
                kid: "k2".into(),
                previous: Some("k1".into())
            }
        );
        assert_eq!(control.jwks_fetches(&http).await.unwrap(), 42);
        control.retire(&http, "it's").await.unwrap();
        let err = control.retire(&http, "other").await.unwrap_err();
        assert!(
            matches!(err, ControlError::Command { op: "retire", .. }),
            "{err}"
        );
        let err = control.make_admin(&http, "a@b").await.unwrap_err();
        assert!(
            matches!(err, ControlError::NotConfigured("make-admin")),
            "{err}"
        );
    }
}
