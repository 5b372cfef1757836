//! What each vendor emulator holds, read through its own state endpoint or its own API (with a
//! token from its own token endpoint), counted per vendor identity: Partner Center customers
//! by company name and their orders, Graph users by UPN and their role assignments,
//! ConnectToTeams enterprises by name, CloudLink accounts with their tenantry tags and admin
//! users.

use std::collections::BTreeMap;

use serde_json::Value;
use tenantry::sandbox::Sandbox;

/// The Graph tenants the examples' admins live in (their `upnDomain`s), and the controller
/// fixtures' one.
const GRAPH_TENANTS: [&str; 4] = [
    "kenton-electronics.com",
    "kenton-electronics.example",
    "kenton-labs.example",
    "meridian-dental.example",
];

/// Counts per vendor identity; a count above 1 is a duplicate.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Census {
    /// Partner Center customers per company name.
    pub pc_customers: BTreeMap<String, usize>,
    /// Partner Center orders per company name.
    pub pc_orders: BTreeMap<String, usize>,
    /// Graph users per UPN.
    pub graph_users: BTreeMap<String, usize>,
    /// Graph role assignments per (principal, role).
    pub graph_roles: BTreeMap<String, usize>,
    /// ConnectToTeams enterprises per name.
    pub c2t_enterprises: BTreeMap<String, usize>,
    /// CloudLink tenantry tags (`tenantry:`, `tenantry-gateway:`, ...) per account name.
    pub mitel_tags: BTreeMap<String, usize>,
    /// CloudLink users per (account name, e-mail).
    pub mitel_users: BTreeMap<String, usize>,
}

impl Census {
    /// Every identity counted more than once.
    pub(super) fn duplicates(&self) -> Vec<String> {
        let maps = [
            ("Partner Center customer", &self.pc_customers),
            ("Partner Center order of", &self.pc_orders),
            ("Graph user", &self.graph_users),
            ("Graph role assignment", &self.graph_roles),
            ("ConnectToTeams enterprise", &self.c2t_enterprises),
            ("CloudLink tag", &self.mitel_tags),
            ("CloudLink user", &self.mitel_users),
        ];
        maps.iter()
            .flat_map(|(what, map)| {
                map.iter()
                    .filter(|(_, n)| **n > 1)
                    .map(move |(k, n)| format!("{what} {k} ×{n}"))
            })
            .collect()
    }
}

fn count(map: &mut BTreeMap<String, usize>, key: String) {
    *map.entry(key).or_default() += 1;
}

/// Reads every emulator of `sb`.
pub(super) async fn take(sb: &Sandbox) -> Census {
    let mut census = Census::default();
    let control = crate::sandbox::Client::new(sb);

    let pc = control.get("/sandbox/pc/state").await;
    for c in pc.body["customers"].as_array().into_iter().flatten() {
        let name = c["companyProfile"]["companyName"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let orders = c["orders"].as_array().map_or(0, Vec::len);
        if orders > 0 {
            census.pc_orders.insert(name.clone(), orders);
        }
        count(&mut census.pc_customers, name);
    }

    for tenant in GRAPH_TENANTS {
        let state = control
            .get(&format!("/sandbox/graph/tenants/{tenant}"))
            .await;
        for u in state.body["users"].as_array().into_iter().flatten() {
            let upn = u["userPrincipalName"].as_str().unwrap_or_default();
            count(&mut census.graph_users, upn.to_owned());
        }
        for a in state.body["roleAssignments"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let key = format!("{} {}", a["principalId"], a["roleDefinitionId"]);
            count(&mut census.graph_roles, key);
        }
    }

    let http = reqwest::Client::new();
    let base = sb.url();
    // A token per read: the sandbox's scaled clock expires them within a second.
    let c2t = Login {
        url: format!("{base}/c2t/oauth/token"),
        form: vec![
            ("grant_type", "password"),
            ("username", "census"),
            ("password", "census"),
        ],
    };
    let enterprises = c2t
        .get(
            &http,
            &format!("{base}/c2t/reseller/getEnterprisesByResellerId/4711"),
        )
        .await;
    for e in enterprises.as_array().into_iter().flatten() {
        let name = e["enterpriseName"].as_str().unwrap_or_default();
        count(&mut census.c2t_enterprises, name.to_owned());
    }

    let mitel = Login {
        url: format!("{base}/mitel/authentication/2017-09-01/token"),
        form: vec![
            ("grant_type", "password"),
            ("username", "census@northstar-msp.example"),
            ("password", "census"),
            ("account_id", "858000055"),
        ],
    };
    let admin = format!("{base}/mitel/admin/2017-09-01");
    let accounts = mitel.get(&http, &format!("{admin}/accounts")).await;
    for a in accounts["_embedded"]["items"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = a["name"].as_str().unwrap_or_default().to_owned();
        for tag in a["tags"].as_array().into_iter().flatten() {
            let tag = tag.as_str().unwrap_or_default();
            if let Some((kind, _)) = tag.split_once(':')
                && kind.starts_with("tenantry")
            {
                count(&mut census.mitel_tags, format!("{name} {kind}"));
            }
        }
        let id = a["accountId"].as_str().unwrap_or_default();
        let users = mitel
            .get(&http, &format!("{admin}/accounts/{id}/users"))
            .await;
        for u in users["_embedded"]["items"].as_array().into_iter().flatten() {
            let email = u["email"].as_str().unwrap_or_default();
            count(&mut census.mitel_users, format!("{name} {email}"));
        }
    }
    census
}

/// An emulator's token endpoint and the form it takes (any credentials are accepted).
struct Login {
    url: String,
    form: Vec<(&'static str, &'static str)>,
}

impl Login {
    /// GETs `url` with a fresh token (and the header CloudLink requires of every call).
    async fn get(&self, http: &reqwest::Client, url: &str) -> Value {
        let answer = http
            .post(&self.url)
            .basic_auth("census", Some("census"))
            .form(&self.form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.url));
        let body: Value = answer
            .json()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.url));
        let token = body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: no token in {body}", self.url));
        let answer = http
            .get(url)
            .bearer_auth(token)
            .header("x-mitel-app", "tenantry-tests")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert!(answer.status().is_success(), "{url}: {}", answer.status());
        answer.json().await.unwrap_or_else(|e| panic!("{url}: {e}"))
    }
}
