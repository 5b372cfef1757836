//! Canary secrets (issue 8 item 4): every password and credential gets a unique random value,
//! the sandbox echoes request secrets back into its errors, and plan, apply, a failing apply,
//! an update, a delete and a prune run at trace level, through the binary and through the
//! controller. Every channel a person or a collector can read is searched for every canary
//! (as is, base64-encoded, form-encoded and as a list of bytes): there must be no hit. The sandbox outbox (the "e-mails") is the
//! only place a temporary password may appear, and the test checks that it does appear there,
//! so a search that could never find anything cannot pass.

#[cfg(unix)]
mod at_rest;
mod cli;
mod cloudlink;
pub(crate) mod controller;
mod emulators;
mod emulators_controller;
mod graph;
mod oauth;
mod partnercenter;
mod tcr;
mod types;
mod wire;

use rand::Rng;
use serde_json::json;
use tenantry::sandbox::Sandbox;

/// Someone else's contact-center tenant takes `name` in `sandbox`, so tenantry's create of it
/// fails (409) and, with echo on, the sandbox reflects the request's passwords into the error.
/// Returns the squatter's id.
pub async fn squat_contact_center_name(sandbox: &Sandbox, name: &str) -> String {
    let squatter = crate::sandbox::Client::new(sandbox)
        .create(
            "/v1/contactcenter/tenants",
            "others/squatter",
            json!({"template": "standard", "name": name, "shortName": "sq",
                   "upnSuffix": "squatter.example", "adminUser": "sqAdmin",
                   "password": "Squatter-Pass-2024", "passwordFingerprint": "fp",
                   "ani": "+15555550111",
                   "contact": {"name": "Sq Uatter", "email": "sq@squatter.example"}}),
        )
        .await;
    squatter.expect(202);
    squatter.id()
}

/// A secret value no other text can contain by chance; it passes every password policy.
pub fn canary(tag: &str) -> String {
    let mut rng = rand::rng();
    let noise: String = (0..16)
        .map(|_| char::from(b"abcdefghjkmnpqrstuvwxyz23456789"[rng.random_range(0..31)]))
        .collect();
    format!("Cnry{tag}-{noise}-Qz7!")
}

/// The forms a canary could leak in: as is, base64 (a Secret's `data`, a header), and as the
/// list of its bytes.
fn forms(value: &str) -> Vec<String> {
    let encoded = base64_forms::encode(value.as_bytes());
    // Without the padded last group, so the form is found inside a longer encoded text too.
    let whole = match value.len() % 3 {
        0 => encoded.as_str(),
        _ => &encoded[..encoded.len() - 4],
    };
    // The derived `Debug` of a Kubernetes `ByteString` (a Secret's data) lists the bytes.
    let bytes = format!("{:?}", value.as_bytes());
    // Form-encoded, as a token request carries a client secret or a refresh token.
    let form = value.replace('!', "%21");
    vec![
        value.to_owned(),
        whole.to_owned(),
        bytes.trim_matches(['[', ']']).to_owned(),
        form,
    ]
}

/// Named secrets and named channels; `hits` lists every (secret, channel) pair that met.
#[derive(Default)]
pub struct Search {
    secrets: Vec<(String, String)>,
    channels: Vec<(String, String)>,
}

impl Search {
    /// A secret to look for.
    pub fn secret(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.secrets.push((name.into(), value.into()));
    }

    /// A channel to search.
    pub fn channel(&mut self, name: impl Into<String>, text: impl Into<String>) {
        self.channels.push((name.into(), text.into()));
    }

    /// How many secrets and channels are searched.
    pub fn size(&self) -> (usize, usize) {
        (self.secrets.len(), self.channels.len())
    }

    /// Every secret found in a channel, as `secret in channel`.
    pub fn hits(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (secret, value) in &self.secrets {
            for form in forms(value) {
                for (channel, text) in &self.channels {
                    if text.contains(&form) {
                        out.push(format!("{secret} in {channel}"));
                    }
                }
            }
        }
        out
    }
}

/// Standard base64 without a dependency: Secrets and headers carry this form.
mod base64_forms {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(TABLE[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn encodes_like_kubernetes() {
        assert_eq!(
            encode(b"Sample-Only-Harbour-58"),
            "U2FtcGxlLU9ubHktSGFyYm91ci01OA=="
        );
        assert_eq!(encode(b"ab"), "YWI=");
    }
}
