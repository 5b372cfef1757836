//! Passwords held in Secrets: where to find them, and the policy check when the value is at hand.
//!
//! In the cluster a Secret lives beside the object, so a key missing from the input is only a
//! warning by default; `Options::require_secrets` makes it an error for standalone runs.

use super::Options;
use super::index::Index;
use super::password;
use super::rule;
use super::subject::{Subject, cut, qualified, shown};
use crate::api::Problem;
use crate::api::{SecretKey, SecretKeyRef};

/// The environment variable the manifest loader reads a Secret key from in standalone mode:
/// `TENANTRY_SECRET_<NAMESPACE>_<NAME>_<KEY>`, upper case, every other character `_`.
pub fn secret_env_var(key: &SecretKey) -> String {
    let mut var = String::from("TENANTRY_SECRET");
    for part in [&key.namespace, &key.name, &key.key] {
        var.push('_');
        var.extend(part.chars().map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        }));
    }
    var
}

/// Exactly one of a Secret reference and `generatePassword: true`.
pub fn password_source(
    s: &Subject,
    prefix: &str,
    secret_ref: Option<&SecretKeyRef>,
    generate: bool,
    out: &mut Vec<Problem>,
) {
    let message = match (secret_ref.is_some(), generate) {
        (true, true) => {
            "both passwordSecretRef and generatePassword are set: keep one (a Secret you manage, or a generated password)"
        }
        (false, false) => {
            "no password source: set passwordSecretRef to a Secret key holding the initial password, or generatePassword: true"
        }
        _ => return,
    };
    out.push(s.error(
        prefix_field(prefix, "passwordSecretRef"),
        rule::PASSWORD_SOURCE,
        message,
    ));
}

/// The password behind `secret_ref` against the policy for `username` (skipped when the username
/// is itself invalid, which is reported on its own); absent values are reported as a warning, or
/// an error when `options.require_secrets`.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site per kind; a struct would only rename the arguments"
)]
pub fn password(
    s: &Subject,
    prefix: &str,
    index: &Index,
    options: &Options,
    secret_ref: &SecretKeyRef,
    username: Option<&str>,
    min_length: u32,
    out: &mut Vec<Problem>,
) {
    let field = prefix_field(prefix, "passwordSecretRef");
    let Some(value) = index.secret(s.namespace, &secret_ref.name, &secret_ref.key) else {
        let key = SecretKey {
            namespace: s.namespace.to_owned(),
            name: secret_ref.name.clone(),
            key: secret_ref.key.clone(),
        };
        let var = secret_env_var(&key);
        // A name too long to type is already reported; do not print it in full here.
        let var = if var.len() <= 200 {
            var
        } else {
            format!("{}…", cut(&var))
        };
        let problem = s.error(
            field,
            rule::SECRET_MISSING,
            format!(
                "Secret {} key {} is not in the input, so the password policy cannot be checked: \
                 add a Secret manifest to the input or set the environment variable {var} \
                 (in a cluster the Secret is read there)",
                qualified(&key.namespace, &key.name),
                shown(&key.key),
            ),
        );
        out.push(if options.require_secrets {
            problem
        } else {
            problem.warning()
        });
        return;
    };
    let Some(username) = username else {
        return;
    };
    // Messages come from `PasswordProblem`'s Display, which never includes the password.
    for p in password::check(value.expose(), username, min_length) {
        out.push(s.error(
            field.clone(),
            rule::PASSWORD_POLICY,
            format!(
                "the password in Secret {} key {} for user {}: {p}",
                qualified(s.namespace, &secret_ref.name),
                shown(&secret_ref.key),
                shown(username)
            ),
        ));
    }
}

fn prefix_field(prefix: &str, field: &str) -> String {
    format!("{prefix}.{field}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_var_names() {
        let cases = [
            (
                "customers",
                "kenton-admin",
                "password",
                "TENANTRY_SECRET_CUSTOMERS_KENTON_ADMIN_PASSWORD",
            ),
            (
                "default",
                "a.b",
                "tls.key",
                "TENANTRY_SECRET_DEFAULT_A_B_TLS_KEY",
            ),
            ("ns", "zoë", "k", "TENANTRY_SECRET_NS_ZO__K"),
            ("", "", "", "TENANTRY_SECRET___"),
        ];
        for (namespace, name, key, want) in cases {
            let key = SecretKey {
                namespace: namespace.into(),
                name: name.into(),
                key: key.into(),
            };
            assert_eq!(secret_env_var(&key), want);
        }
    }
}
