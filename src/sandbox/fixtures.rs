//! What exists in the portals before tenantry arrives: TeamMate reseller accounts, taken
//! Microsoft domains, purchased DIDs, registered 10DLC campaigns, and the contact-center
//! off-peak policy. Set at start (`SandboxConfig::fixtures`, `--fixtures FILE`) and through
//! the `/sandbox/...` endpoints.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::store::{set_setting, setting};

/// Everything a sandbox can be seeded with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fixtures {
    #[serde(default)]
    pub reseller_accounts: Vec<ResellerAccount>,
    /// Taken onmicrosoft domains (`name` or `name.onmicrosoft.com`).
    #[serde(default)]
    pub reserved_domains: Vec<String>,
    #[serde(default)]
    pub dids: Vec<Did>,
    #[serde(default)]
    pub campaigns: Vec<Campaign>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub off_peak: Option<OffPeak>,
}

/// A TeamMate master reseller or reseller account; its e-mail cannot be an enterprise's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResellerAccount {
    pub email: String,
    pub role: AccountRole,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountRole {
    MasterReseller,
    Reseller,
}

impl AccountRole {
    fn as_str(self) -> &'static str {
        match self {
            Self::MasterReseller => "MasterReseller",
            Self::Reseller => "Reseller",
        }
    }
}

/// One DID of the apps inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Did {
    pub number: String,
    #[serde(default = "yes")]
    pub purchased: bool,
    #[serde(default = "yes")]
    pub registered: bool,
    /// Assigned outside tenantry (to a user tenantry does not manage).
    #[serde(default)]
    pub assigned: bool,
}

/// A 10DLC campaign and the DIDs registered to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Campaign {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default = "yes")]
    pub registered: bool,
    #[serde(default)]
    pub dids: Vec<String>,
}

/// Which contact-center tenant requests the provider schedules for the off-peak window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OffPeak {
    /// Every request.
    #[serde(default)]
    pub all: bool,
    /// Requests cloning one of these templates.
    #[serde(default)]
    pub templates: Vec<String>,
}

impl OffPeak {
    pub fn schedules(&self, template: &str) -> bool {
        self.all || self.templates.iter().any(|t| t == template)
    }
}

fn yes() -> bool {
    true
}

/// The 10DLC campaign of the demo inventory.
pub const DEMO_CAMPAIGN: &str = "CA1B2C3";
/// Prefix of the demo inventory's generated DIDs: `+1555000` and four digits, all registered
/// to [`DEMO_CAMPAIGN`] (enough for a generated repository of 10,000 customers).
pub const DEMO_DID_PREFIX: &str = "+1555000";
/// How many generated DIDs the demo inventory holds.
pub const DEMO_GENERATED_DIDS: u32 = 10_000;

impl Fixtures {
    /// What `tenantry sandbox`, `plan` and `apply` start with when given no fixtures: two
    /// reseller accounts, taken Microsoft domains, DIDs (US +15555550100–149 registered to
    /// campaign CA1B2C3, +15555550150–199 purchased but unregistered, UK +442071838700–749,
    /// and the generated range); no contact-center template is scheduled off-peak.
    pub fn demo() -> Self {
        let registered: Vec<String> = (100..150)
            .map(|n| format!("+1555555{n:04}"))
            .chain((0..DEMO_GENERATED_DIDS).map(|n| format!("{DEMO_DID_PREFIX}{n:04}")))
            .collect();
        let did = |number: String, registered: bool| Did {
            number,
            purchased: true,
            registered,
            assigned: false,
        };
        let dids = registered
            .iter()
            .map(|n| did(n.clone(), true))
            .chain((150..200).map(|n| did(format!("+1555555{n:04}"), false)))
            .chain((8700..8750).map(|n| did(format!("+44207183{n}"), true)))
            .collect();
        Self {
            reseller_accounts: vec![
                ResellerAccount {
                    email: "master@msp.example.com".to_owned(),
                    role: AccountRole::MasterReseller,
                },
                ResellerAccount {
                    email: "reseller@msp.example.com".to_owned(),
                    role: AccountRole::Reseller,
                },
            ],
            reserved_domains: vec!["contoso".to_owned(), "fabrikam".to_owned()],
            dids,
            campaigns: vec![Campaign {
                id: DEMO_CAMPAIGN.to_owned(),
                name: "Demo notifications".to_owned(),
                registered: true,
                dids: registered,
            }],
            // Nothing off-peak, so a first apply converges at once; tests and
            // `PUT /sandbox/contactcenter/off-peak` show the scheduled path.
            off_peak: None,
        }
    }
}

/// Loads every fixture into the store (existing rows are replaced).
pub(crate) fn apply(tx: &Transaction<'_>, fixtures: &Fixtures) -> Result<(), ApiError> {
    for account in &fixtures.reseller_accounts {
        put_reseller_account(tx, account)?;
    }
    for domain in &fixtures.reserved_domains {
        reserve_domain(tx, domain, "reserved")?;
    }
    for did in &fixtures.dids {
        put_did(tx, did)?;
    }
    for campaign in &fixtures.campaigns {
        put_campaign(tx, campaign)?;
    }
    if let Some(off_peak) = &fixtures.off_peak {
        set_off_peak(tx, off_peak)?;
    }
    Ok(())
}

pub(crate) fn put_reseller_account(
    tx: &Transaction<'_>,
    account: &ResellerAccount,
) -> Result<(), ApiError> {
    if !crate::validate::syntax::is_email(&account.email) {
        return Err(ApiError::invalid_body("email", "not an e-mail address"));
    }
    tx.execute(
        "INSERT OR REPLACE INTO reseller_accounts (email, role) VALUES (?1, ?2)",
        params![account.email.to_lowercase(), account.role.as_str()],
    )?;
    Ok(())
}

pub(crate) fn reseller_accounts(tx: &Transaction<'_>) -> Result<Vec<ResellerAccount>, ApiError> {
    let mut stmt = tx.prepare("SELECT email, role FROM reseller_accounts ORDER BY email")?;
    let rows = stmt.query_map([], |r| {
        let role: String = r.get(1)?;
        Ok(ResellerAccount {
            email: r.get(0)?,
            role: if role == "MasterReseller" {
                AccountRole::MasterReseller
            } else {
                AccountRole::Reseller
            },
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The full onmicrosoft domain of a name or domain (`kenton` → `kenton.onmicrosoft.com`).
pub(crate) fn onmicrosoft(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    if lower.ends_with(".onmicrosoft.com") {
        lower
    } else {
        format!("{lower}.onmicrosoft.com")
    }
}

/// Marks a Microsoft domain taken; false when it already was.
pub(crate) fn reserve_domain(
    tx: &Transaction<'_>,
    domain: &str,
    source: &str,
) -> Result<bool, ApiError> {
    let full = onmicrosoft(domain);
    let label = full.trim_end_matches(".onmicrosoft.com");
    if label.is_empty() || !label.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::invalid_body(
            "domain",
            "an onmicrosoft domain name has letters and digits only",
        ));
    }
    let n = tx.execute(
        "INSERT OR IGNORE INTO microsoft_domains (domain, source) VALUES (?1, ?2)",
        params![full, source],
    )?;
    Ok(n == 1)
}

pub(crate) fn domain_taken(tx: &Transaction<'_>, domain: &str) -> Result<bool, ApiError> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM microsoft_domains WHERE domain = ?1",
            [onmicrosoft(domain)],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

pub(crate) fn microsoft_domains(tx: &Transaction<'_>) -> Result<Vec<(String, String)>, ApiError> {
    let mut stmt = tx.prepare("SELECT domain, source FROM microsoft_domains ORDER BY domain")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn put_did(tx: &Transaction<'_>, did: &Did) -> Result<(), ApiError> {
    if !crate::validate::syntax::is_e164(&did.number) {
        return Err(ApiError::invalid_body(
            "number",
            "a DID is an E.164 number such as +15555550100",
        ));
    }
    tx.execute(
        "INSERT OR REPLACE INTO dids (number, purchased, registered, assigned_elsewhere)
         VALUES (?1, ?2, ?3, ?4)",
        params![did.number, did.purchased, did.registered, did.assigned],
    )?;
    Ok(())
}

pub(crate) fn did(tx: &Transaction<'_>, number: &str) -> Result<Option<Did>, ApiError> {
    Ok(tx
        .query_row(
            "SELECT number, purchased, registered, assigned_elsewhere FROM dids WHERE number = ?1",
            [number],
            |r| {
                Ok(Did {
                    number: r.get(0)?,
                    purchased: r.get(1)?,
                    registered: r.get(2)?,
                    assigned: r.get(3)?,
                })
            },
        )
        .optional()?)
}

/// DIDs in number order after `after`, at most `limit`.
pub(crate) fn dids_page(
    tx: &Transaction<'_>,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Did>, ApiError> {
    let mut stmt = tx.prepare(
        "SELECT number, purchased, registered, assigned_elsewhere FROM dids
         WHERE number > ?1 ORDER BY number LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after.unwrap_or(""), limit as i64], |r| {
        Ok(Did {
            number: r.get(0)?,
            purchased: r.get(1)?,
            registered: r.get(2)?,
            assigned: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn put_campaign(tx: &Transaction<'_>, campaign: &Campaign) -> Result<(), ApiError> {
    if campaign.id.trim().is_empty() {
        return Err(ApiError::invalid_body("id", "a campaign needs an id"));
    }
    if let Some(bad) = campaign
        .dids
        .iter()
        .find(|d| !crate::validate::syntax::is_e164(d))
    {
        return Err(ApiError::invalid_body(
            "dids",
            format!("{bad} is not an E.164 number"),
        ));
    }
    tx.execute(
        "INSERT OR REPLACE INTO campaigns (id, name, registered, dids) VALUES (?1, ?2, ?3, ?4)",
        params![
            campaign.id,
            campaign.name,
            campaign.registered,
            serde_json::to_string(&campaign.dids).unwrap_or_default()
        ],
    )?;
    Ok(())
}

fn campaign_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Campaign> {
    let dids: String = r.get(3)?;
    Ok(Campaign {
        id: r.get(0)?,
        name: r.get(1)?,
        registered: r.get(2)?,
        dids: serde_json::from_str(&dids).unwrap_or_default(),
    })
}

pub(crate) fn campaign(tx: &Transaction<'_>, id: &str) -> Result<Option<Campaign>, ApiError> {
    Ok(tx
        .query_row(
            "SELECT id, name, registered, dids FROM campaigns WHERE id = ?1",
            [id],
            campaign_row,
        )
        .optional()?)
}

pub(crate) fn campaigns_page(
    tx: &Transaction<'_>,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Campaign>, ApiError> {
    let mut stmt = tx.prepare(
        "SELECT id, name, registered, dids FROM campaigns WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after.unwrap_or(""), limit as i64], campaign_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The campaign a DID is registered to, if any.
pub(crate) fn campaign_of(
    tx: &Transaction<'_>,
    number: &str,
) -> Result<Option<Campaign>, ApiError> {
    let mut stmt = tx.prepare(
        "SELECT c.id, c.name, c.registered, c.dids FROM campaigns c, json_each(c.dids) d
         WHERE d.value = ?1 ORDER BY c.registered DESC, c.id LIMIT 1",
    )?;
    Ok(stmt.query_row([number], campaign_row).optional()?)
}

pub(crate) fn off_peak(tx: &Transaction<'_>) -> Result<OffPeak, ApiError> {
    Ok(setting(tx, "offPeak")?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default())
}

pub(crate) fn set_off_peak(tx: &Transaction<'_>, off_peak: &OffPeak) -> Result<(), ApiError> {
    set_setting(
        tx,
        "offPeak",
        &serde_json::to_string(off_peak).unwrap_or_default(),
    )?;
    Ok(())
}
