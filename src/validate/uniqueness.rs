//! Values that must be unique across the input, and services a tenant may have only once.
//!
//! TeamMate admin e-mail: Microsoft requires a unique e-mail for each TeamMate account, so the
//! master reseller, reseller and enterprise accounts cannot share one (seed 002). The reseller
//! accounts are not declared in tenantry's input (the sandbox and the portal check those at
//! apply time); what the input can show is two declared enterprises (teamsConnector bindings,
//! of any tenant or namespace) using the same address, compared case-insensitively, as e-mail
//! providers do. TenantAdmin external e-mails are DaaS accounts' personal mailboxes, not
//! TeamMate accounts, so they are not compared.
//!
//! Each repeat is reported on the later declaration, naming the first with its file:line.

use foldhash::HashMap;
use std::collections::hash_map::Entry;

use super::binding::contact_center_key;
use super::index::Index;
use super::rule;
use super::subject::{Subject, qualified, shown};
use crate::api::Problem;
use crate::api::{Declared, ServiceKind};

/// Services of which a tenant has at most one: each is a single portal object per customer.
const ONCE_PER_TENANT: [ServiceKind; 5] = [
    ServiceKind::AzureAd,
    ServiceKind::MicrosoftOnline,
    ServiceKind::Citrix,
    ServiceKind::FileSharing,
    ServiceKind::CloudlinkGateway,
];

/// Reports every cross-binding uniqueness problem.
pub fn check(declared: &Declared, index: &Index, out: &mut Vec<Problem>) {
    let mut emails: HashMap<String, usize> = HashMap::default();
    let mut cc_names: HashMap<String, usize> = HashMap::default();
    let mut cc_short: HashMap<String, usize> = HashMap::default();
    let mut dids: HashMap<&str, usize> = HashMap::default();
    let subject = |i: usize| {
        let b = &declared.bindings[i];
        Subject::namespaced("ServiceBinding", &b.object.metadata, &b.location)
    };
    let first_as_text = |i: usize| {
        let s = subject(i);
        format!(
            "ServiceBinding {} at {}",
            qualified(s.namespace, s.name),
            s.location
        )
    };
    for (i, b) in declared.bindings.iter().enumerate() {
        if !index.binding_is_first[i] {
            continue;
        }
        let spec = &b.object.spec;
        let s = subject(i);
        if let Some(t) = &spec.teams_connector
            && let Some(first) = repeat(&mut emails, t.admin_email.to_lowercase(), i)
        {
            out.push(s.error(
                "spec.teamsConnector.adminEmail",
                rule::DUPLICATE_ADMIN_EMAIL,
                format!(
                    "admin e-mail {} is already used by {}: Microsoft requires a unique e-mail for every master reseller, reseller and enterprise account; use this enterprise's own Global Admin address",
                    shown(&t.admin_email),
                    first_as_text(first)
                ),
            ));
        }
        if let Some(c) = &spec.contact_center {
            for (map, value, field) in [
                (&mut cc_names, &c.name, "spec.contactCenter.name"),
                (&mut cc_short, &c.short_name, "spec.contactCenter.shortName"),
            ] {
                if let Some(first) = repeat(map, contact_center_key(value), i) {
                    out.push(s.error(
                        field,
                        rule::DUPLICATE_CONTACT_CENTER,
                        format!(
                            "contact-center {} {} is already used by {}: every contact-center tenant needs its own; choose another",
                            if field.ends_with("shortName") { "short name" } else { "name" },
                            shown(value),
                            first_as_text(first)
                        ),
                    ));
                }
            }
        }
        if let Some(sms) = &spec.sms
            && let Some(first) = repeat(&mut dids, sms.did.as_str(), i)
        {
            out.push(s.error(
                "spec.sms.did",
                rule::DUPLICATE_DID,
                format!(
                    "DID {} is already bound by {}: an SMS license needs an unassigned DID; use another number",
                    shown(&sms.did),
                    first_as_text(first)
                ),
            ));
        }
    }
    once_per_tenant(declared, index, &first_as_text, out);
}

/// Reports the repeats the index found among services a tenant may have only once.
fn once_per_tenant(
    declared: &Declared,
    index: &Index,
    first_as_text: &dyn Fn(usize) -> String,
    out: &mut Vec<Problem>,
) {
    for &(i, first) in &index.service_repeats {
        let Some(kind) = index.service_of[i] else {
            continue;
        };
        if !ONCE_PER_TENANT.contains(&kind) {
            continue;
        }
        let b = &declared.bindings[i];
        let s = Subject::namespaced("ServiceBinding", &b.object.metadata, &b.location);
        let tenant = &b.object.spec.tenant_ref.name;
        out.push(s.error(
            format!("spec.{}", kind.field()),
            rule::ONE_PER_TENANT,
            format!(
                "Tenant {} already has a {} binding, {}: a customer has at most one; merge them or remove one",
                shown(tenant),
                kind.field(),
                first_as_text(first)
            ),
        ));
    }
}

/// Records `key` for binding `i`; returns the first binding when the key was taken.
fn repeat<K: Eq + std::hash::Hash>(map: &mut HashMap<K, usize>, key: K, i: usize) -> Option<usize> {
    match map.entry(key) {
        Entry::Vacant(slot) => {
            slot.insert(i);
            None
        }
        Entry::Occupied(first) => Some(*first.get()),
    }
}
