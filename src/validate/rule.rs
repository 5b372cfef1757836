//! Stable rule identifiers: the `rule` field of every [`Problem`](super::Problem).
//!
//! Scripts and CI filters match on these, so an id never changes meaning once released.

/// `metadata.name` or `metadata.namespace` is missing or not a Kubernetes name.
pub const OBJECT_NAME: &str = "object-name";
/// Two objects of the same kind share a namespace and name.
pub const DUPLICATE_OBJECT: &str = "duplicate-object";
/// A required value is empty or blank.
pub const REQUIRED: &str = "required";
/// A value is longer than the portal accepts.
pub const LENGTH: &str = "length";
/// A text value holds control characters (line breaks, tabs) the portals reject.
pub const CONTROL_CHARACTERS: &str = "control-characters";
/// A number is outside the range the portal accepts.
pub const RANGE: &str = "range";
/// The DaaS customer code does not match the portal's pattern.
pub const TENANT_CODE: &str = "tenant-code";
/// A domain is not a lower-case DNS name.
pub const DOMAIN_SYNTAX: &str = "domain-syntax";
/// The same domain is listed twice.
pub const DUPLICATE_DOMAIN: &str = "duplicate-domain";
/// An e-mail address is malformed.
pub const EMAIL_SYNTAX: &str = "email-syntax";
/// A phone number (contact, ANI, DID) is not in E.164 form.
pub const PHONE_SYNTAX: &str = "phone-syntax";
/// A country code is not ISO 3166-1 alpha-2 in upper case.
pub const COUNTRY_CODE: &str = "country-code";
/// The same portal is listed twice.
pub const DUPLICATE_PORTAL: &str = "duplicate-portal";
/// A password breaks the portal's password policy.
pub const PASSWORD_POLICY: &str = "password-policy";
/// Neither or both of `passwordSecretRef` and `generatePassword` are set.
pub const PASSWORD_SOURCE: &str = "password-source";
/// A referenced Secret key is not in the input.
pub const SECRET_MISSING: &str = "secret-missing";
/// The admin's username is invalid or cannot be derived from the name.
pub const USERNAME: &str = "username";
/// The admin's UPN domain is not one of the tenant's domains.
pub const UPN_DOMAIN: &str = "upn-domain";
/// An object needs a portal that its tenant does not list in `spec.portals`.
pub const PORTAL_NOT_ENABLED: &str = "portal-not-enabled";
/// A binding sets no service block or more than one.
pub const SERVICE_BLOCK: &str = "service-block";
/// A service that a tenant may have only once is declared twice for it.
pub const ONE_PER_TENANT: &str = "one-per-tenant";
/// `spec.tenantRef` names no Tenant of the namespace.
pub const TENANT_REF: &str = "tenant-ref";
/// `spec.tenantRef` names a Tenant that is declared but could not be read (a warning).
pub const TENANT_INVALID: &str = "tenant-invalid";
/// `spec.dependsOn` names no binding of the namespace, or names one twice.
pub const DEPENDS_ON: &str = "depends-on";
/// Bindings depend on each other in a cycle.
pub const DEPENDENCY_CYCLE: &str = "dependency-cycle";
/// azureAD mode and existingTenantId disagree.
pub const AZURE_AD_MODE: &str = "azure-ad-mode";
/// microsoftOnline without an azureAD binding of the same tenant.
pub const MICROSOFT_ONLINE_NEEDS_AZURE_AD: &str = "microsoft-online-needs-azure-ad";
/// The CorpShare drive letter is not one of D to Z.
pub const DRIVE_LETTER: &str = "drive-letter";
/// A list that must hold distinct values holds one twice.
pub const DUPLICATE_ENTRY: &str = "duplicate-entry";
/// Two TeamMate enterprises use the same admin e-mail.
pub const DUPLICATE_ADMIN_EMAIL: &str = "duplicate-admin-email";
/// TeamMate PBX service without a PBX type.
pub const PBX_TYPE: &str = "pbx-type";
/// TeamMate enterprise without an SBC region.
pub const SBC_REGION: &str = "sbc-region";
/// TeamMate enterprise without a service.
pub const TEAMS_SERVICES: &str = "teams-services";
/// Contact-center name or short name with characters other than letters and digits.
pub const CONTACT_CENTER_NAME: &str = "contact-center-name";
/// Two contact-center tenants share a name or short name.
pub const DUPLICATE_CONTACT_CENTER: &str = "duplicate-contact-center";
/// The contact-center UPN suffix is not a domain (or not one of the tenant's).
pub const UPN_SUFFIX: &str = "upn-suffix";
/// The contact-center admin user name has characters the portal rejects.
pub const ADMIN_USER: &str = "admin-user";
/// A US SMS number without a registered 10DLC campaign.
pub const SMS_10DLC_CAMPAIGN: &str = "sms-10dlc-campaign";
/// A 10DLC campaign id that is not `C` and six upper-case letters or digits.
pub const CAMPAIGN_ID: &str = "campaign-id";
/// The same DID is bound by two SMS bindings.
pub const DUPLICATE_DID: &str = "duplicate-did";
/// The same user is licensed twice in one binding.
pub const DUPLICATE_LICENSE_USER: &str = "duplicate-license-user";
/// CloudLink needs the customer's mailing address.
pub const CLOUDLINK_ADDRESS: &str = "cloudlink-address";
/// CloudLink needs the customer's business type.
pub const CLOUDLINK_BUSINESS_TYPE: &str = "cloudlink-business-type";
/// CloudLink needs a Maintainer and an OnsiteAdmin support contact.
pub const CLOUDLINK_SUPPORT_CONTACTS: &str = "cloudlink-support-contacts";
/// A PortalConnection URL that is not http(s).
pub const CONNECTION_URL: &str = "connection-url";
/// An accepted deviation with an unreadable `expires` or an unknown `kind`.
pub const DEVIATION: &str = "accepted-deviation";
/// A NotificationSink without exactly one URL, or with one that is not http(s).
pub const SINK_URL: &str = "sink-url";
/// `spec.portalConnectionRef` names no declared PortalConnection, or one that lacks a portal.
pub const CONNECTION_REF: &str = "connection-ref";
/// A PortalConnection's auth does not fit its API, or names a flow badly.
pub const CONNECTION_AUTH: &str = "connection-auth";
/// `spec.attestEvery` is not a duration, or is set on a connection that is not api manual.
pub const CONNECTION_ATTEST: &str = "connection-attest";
